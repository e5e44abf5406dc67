"""Confirmation links as a signer finds them: in the email the worker sent."""

import re

CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/c/([^/\s\"'<>]+)/")


def confirm_tokens(message) -> set[str]:
    """The tokens of the confirmation links in one email, text and HTML parts alike."""
    parts = [message.body] + [content for content, _ in getattr(message, "alternatives", [])]
    return {token for part in parts for token in CONFIRM_LINK.findall(part)}


def confirm_token(message) -> str:
    """The one confirmation link's token in an email."""
    [token] = confirm_tokens(message)
    return token
