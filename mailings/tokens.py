"""Signed per-recipient tokens: what a mailing's links and return path carry.

A token names one recipient (one member's copy of one mailing) and a purpose, and is
signed with a key only the server holds, so nobody can make one for another member
or walk through them. It is never a login: it unsubscribes, counts a click, bounces,
or lets a member sign with one press, each for that one recipient only.

Shape: <recipient id, base 36>.<day issued, base 36>.<HMAC, 22 characters>. Click,
unsubscribe and bounce tokens do not expire (an unsubscribe link must work for as long
as the mail sits in an inbox); recognition expires after MAILING_TOKEN_DAYS.
"""

import base64
import functools
import hashlib
import hmac

from django.conf import settings
from django.utils import timezone

# Purposes: each signs differently, so a click token cannot unsubscribe.
CLICK = "click"
UNSUBSCRIBE = "unsubscribe"
BOUNCE = "bounce"
RECOGNISE = "recognise"
PURPOSES = {CLICK, UNSUBSCRIBE, BOUNCE, RECOGNISE}
EXPIRING = {RECOGNISE}

_EPOCH_DAY = 20454  # 2026-01-01, so the day field stays short


def _today() -> int:
    return int(timezone.now().timestamp() // 86400) - _EPOCH_DAY


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if number < 0:
        raise ValueError("negative")
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


@functools.lru_cache(maxsize=32)
def _key(purpose: str, secret: str) -> bytes:
    """salted_hmac's derived key, once per purpose (the send loop makes three tokens a message)."""
    return hashlib.sha256(f"chorus.mailings.{purpose}".encode() + secret.encode()).digest()


def _mac(purpose: str, body: str) -> str:
    # The same as salted_hmac(f"chorus.mailings.{purpose}", body, algorithm="sha256").
    digest = hmac.new(_key(purpose, settings.SECRET_KEY), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def recipient_token(recipient_id: int, purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    body = f"{_b36(recipient_id)}.{_b36(max(_today(), 0))}"
    return f"{body}.{_mac(purpose, body)}"


def recipient_id_from_token(token: str, purpose: str) -> int | None:
    """The recipient a genuine, unexpired token of this purpose names; None otherwise."""
    if purpose not in PURPOSES or not isinstance(token, str) or len(token) > 64:
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _mac(purpose, body)):
        return None
    try:
        recipient_id, day = int(parts[0], 36), int(parts[1], 36)
    except ValueError:
        return None
    if purpose in EXPIRING and _today() - day > settings.MAILING_TOKEN_DAYS:
        return None
    return recipient_id
