"""Emails as three templates side by side: subject, text body and HTML body.

Each worker thread keeps one connection to the mail server open across
messages: opening a new SMTP session per message was a third of the send loop.
"""

import contextlib
import smtplib
import threading
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

_local = threading.local()

# Failures that mean the kept connection went away (the server timed it out,
# restarted...): nothing was delivered on it, so one retry on a fresh one is safe.
STALE_CONNECTION_ERRORS = (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError)


def absolute_url(path: str) -> str:
    """Links in emails come from BASE_URL, never from a request's Host header."""
    return settings.BASE_URL + path


def sender_address(name: str) -> str:
    """DEFAULT_FROM_EMAIL's address under `name`: 'Open Faces <petitions@example.org>'.

    The name is quoted as needed here and encoded (RFC 2047) by Django when it is not
    ASCII. Forms refuse line breaks in it; any that reach here anyway become spaces, so a
    name can never add a header.
    """
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    name = " ".join("".join(c if c.isprintable() else " " for c in name).split())
    if not name:
        return settings.DEFAULT_FROM_EMAIL
    return str(Address(display_name=name, addr_spec=address))


def mail_send(
    *,
    template: str,
    to: str,
    context: dict,
    headers: dict | None = None,
    sender_name: str = "",
) -> None:
    """Render the three templates and send; `sender_name` replaces DEFAULT_FROM_EMAIL's name."""
    subject = render_to_string(f"{template}_subject.txt", context).strip().splitlines()[0]
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        from_email=sender_address(sender_name) if sender_name else settings.DEFAULT_FROM_EMAIL,
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    try:
        message.connection = _kept_connection()
        message.send()
    except STALE_CONNECTION_ERRORS:
        mail_connection_close()
        message.connection = _kept_connection()
        message.send()


def _kept_connection():
    kept = getattr(_local, "kept", None)
    if kept is None or kept[0] != settings.EMAIL_BACKEND:
        mail_connection_close()
        connection = get_connection()
        connection.open()
        kept = _local.kept = (settings.EMAIL_BACKEND, connection)
    return kept[1]


def mail_connection_close() -> None:
    """Close this thread's kept connection (workers call it when they go idle)."""
    kept = getattr(_local, "kept", None)
    _local.kept = None
    if kept is not None:
        with contextlib.suppress(Exception):  # closing a dead connection: nothing to do
            kept[1].close()
