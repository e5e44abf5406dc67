"""Confirmation links: derived from a row's nonce and SECRET_KEY, checked by their hash."""

import base64
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def confirmation_token(nonce: str) -> str:
    """The secret in a confirmation link, derived from the row's nonce and SECRET_KEY.

    The row keeps only the nonce and the hash the link is checked against: neither a
    backup, nor staff, nor the job ledger holds anything that confirms without the
    server's key. The worker derives the link again when it sends the email.
    """
    digest = salted_hmac("chorus.petitions.confirmation", nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_link() -> dict:
    """The columns of a new confirmation link, valid CONFIRMATION_TOKEN_DAYS from now."""
    nonce = secrets.token_urlsafe(16)
    return {
        "token_nonce": nonce,
        "token_hash": token_hash(confirmation_token(nonce)),
        "token_expires_at": timezone.now() + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS),
    }
