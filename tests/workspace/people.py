"""Helpers the people tests share: an invitation as its invitee finds it, in the email."""

import re

from django.core import mail

from jobs.services import jobs_drain
from staff.jobs import invitation_send

JOIN_LINK = re.compile(r"https?://[^\s\"'<>]+/staff/join/([^/\s\"'<>]+)/")


def join_tokens(message) -> set[str]:
    parts = [message.body] + [content for content, _ in getattr(message, "alternatives", [])]
    return {token for part in parts for token in JOIN_LINK.findall(part)}


def invited(*, email: str, role: str, by) -> tuple[object, str]:
    """Invites `email` and runs the ledger: the invitation and its link's token."""
    invitation = invitation_send(email=email, role=role, by=by)
    jobs_drain()
    [message] = [m for m in mail.outbox if email in m.to][-1:]
    [token] = join_tokens(message)
    return invitation, token
