"""Mailings' background work, run by chorus_worker (jobs.registry).

- `mailings_advance`, every second: starts scheduled mailings whose time has come,
  decides subject-line tests whose wait is over, and marks finished sends sent.
- `mailing_recipients`, a drainer: the job threads send one batch of recipients
  whenever the job ledger has nothing due (transactional mail goes first).
"""

from jobs.registry import drainer, periodic
from mailings import sending


@periodic("mailings_advance", every=1.0)
def mailings_advance() -> int:
    return sending.mailings_advance()


@drainer("mailing_recipients")
def mailing_recipients() -> int:
    return sending.recipients_drain()
