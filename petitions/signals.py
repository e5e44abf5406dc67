"""What petitions tell the apps above them, without knowing them (they may not import them).

`signature_member_known`: a confirmed signature was matched to its member (the worker's
signature_confirmed job). Sent with `signature` and `member`; mailings attributes a
signature that came through a mailing's link to that mailing.
"""

from django.dispatch import Signal

signature_member_known = Signal()
petition_page_changed = Signal()
