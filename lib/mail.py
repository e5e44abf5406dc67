"""Emails as three templates side by side: subject, text body and HTML body.

Each worker thread keeps one connection to the mail server open across
messages: opening a new SMTP session per message was a third of the send loop.
"""

import binascii
import contextlib
import functools
import re
import secrets
import smtplib
import threading
import time
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.utils import formatdate, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string

from lib.mailrate import mail_rate_wait, provider_of, provider_slow

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
    return _sender_address(name, settings.DEFAULT_FROM_EMAIL)


@functools.lru_cache(maxsize=256)  # an organisation's name: the same for most emails
def _sender_address(name: str, default_from: str) -> str:
    address = parseaddr(default_from)[1]
    name = " ".join("".join(c if c.isprintable() else " " for c in name).split())
    if not name:
        return default_from
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
    mail_send_rendered(
        rendered=mail_render(template=template, context=context),
        to=to,
        headers=headers,
        sender_name=sender_name,
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def mail_render(*, template: str, context: dict) -> Rendered:
    """The three templates of an email: its subject (one line), text and HTML bodies."""
    return Rendered(
        subject=render_to_string(f"{template}_subject.txt", context).strip().splitlines()[0],
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
    )


def mail_send_rendered(
    *, rendered: Rendered, to: str, headers: dict | None = None, sender_name: str = ""
) -> None:
    """Send an email already rendered (`mail_render`), as `mail_send` does.

    On Django's SMTP backend it goes as bytes serialised here (`mail_deliver_bytes`), as
    a mailing's do: the email package building it was over half of a confirmation's CPU.
    """
    from_email = sender_address(sender_name) if sender_name else settings.DEFAULT_FROM_EMAIL

    def build() -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            to=[to],
            from_email=from_email,
            headers=headers or {},
        )
        message.attach_alternative(rendered.html, "text/html")
        return message

    if headers:  # rare, and any header at all: the email package writes them
        mail_deliver(build(), provider=provider_of(to), wait=True)
        return
    mail_deliver_bytes(
        from_email=_sender_parts(from_email)[0],
        to=to,
        data=_message_bytes(rendered, to=to, from_email=from_email),
        provider=provider_of(to),
        fallback=build,
        wait=True,
    )


def _message_bytes(rendered: Rendered, *, to: str, from_email: str) -> bytes:
    """What EmailMultiAlternatives would send: the same headers, text then HTML parts."""
    address, from_header = _sender_parts(from_email)
    headers = [
        header_line("Subject", " ".join(rendered.subject.split())),
        header_line("From", from_header),
        header_line("To", envelope_address(to)),
        header_line("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
        header_line("Message-ID", make_msgid(domain=address.rpartition("@")[2] or None)),
    ]
    return alternative_bytes(headers, rendered.text, rendered.html)


def alternative_bytes(headers: list[bytes], text: str, html: str) -> bytes:
    """A multipart/alternative message: the header lines given, then text and HTML parts."""
    boundary = f"==chorus{secrets.token_hex(12)}=="
    delimiter = f"--{boundary}\r\n".encode("ascii")
    return b"".join(
        [
            *headers,
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode("ascii"),
            delimiter,
            body_part("text/plain", text),
            b"\r\n",
            delimiter,
            body_part("text/html", html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )


@functools.lru_cache(maxsize=256)
def _sender_parts(from_email: str) -> tuple[str, str]:
    """The envelope address of a From value, and the value as a header."""
    return parseaddr(from_email)[1], unfolded(sanitize_address(from_email, "utf-8"))


def unfolded(value: str) -> str:
    """A header value the email package encoded and folded, on one line again.

    A long non-ASCII name comes back as several encoded words joined by a fold; the words
    stay apart by a space, which readers drop between encoded words (RFC 2047).
    """
    return value.replace("\r\n ", " ").replace("\n ", " ")


# Messages serialised without Python's email package (a mailing's, a confirmation's):
# it took over a millisecond to build and flatten one, more than the rest of sending.
def header_line(name: str, value: str) -> bytes:
    """One header line; encoded (RFC 2047) and folded by the email package only when needed."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"a line break in the {name} header")
    if value.isascii() and len(name) + len(value) < 900:
        return f"{name}: {value}\r\n".encode("ascii")
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def body_part(content_type: str, body: str) -> bytes:
    """A UTF-8 text part: 8bit, unless a line is too long for SMTP, then quoted-printable."""
    data = body.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    if any(len(line) > 990 for line in data.split(b"\n")):
        encoding = "quoted-printable"
        data = binascii.b2a_qp(data, istext=True)
    else:
        encoding = "8bit"
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode("ascii")
        + data.replace(b"\n", b"\r\n")
    )


class RateLimited(Exception):
    """The provider's (or the overall) rate is spent for now; try again after `wait` seconds."""

    def __init__(self, wait: float):
        super().__init__(f"rate limited for {wait:.2f} s")
        self.wait = wait


def smtp_code(exc: BaseException) -> int | None:
    """The SMTP reply code a refusal carries (the first recipient's, when several)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return next(iter(exc.recipients.values()))[0]
    return getattr(exc, "smtp_code", None)


def mail_deliver(message: EmailMultiAlternatives, *, provider: str, wait: bool = False) -> None:
    """Send one built message on this thread's kept connection, within the mail rates.

    Transactional and bulk mail both come through here (or `mail_deliver_bytes`), so they
    share the connection and the rates (lib.mailrate). With `wait`, a spent rate is
    waited out (transactional mail: it comes first anyway); without, RateLimited says
    how long to wait. A 4xx refusal slows `provider` before the exception goes on.
    """

    def send(connection):
        message.connection = connection
        message.send()

    _deliver(send, provider=provider, wait=wait)


# A plain ASCII address, dot-atom local part and host name labels, that SMTP takes as it
# is. Django's sanitize_address parses every address with the email package: for the two
# envelope addresses of each message that was a fifth of the send loop's Python time.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9-]{1,63}"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")


def envelope_address(address: str) -> str:
    """sanitize_address(address, "utf-8"), without parsing the plain addresses nearly all are."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return address
    return sanitize_address(address, "utf-8")


def mail_deliver_bytes(
    *, from_email: str, to: str, data: bytes, provider: str, fallback, wait: bool = False
) -> None:
    """Send a message already serialised (CRLF line ends) from envelope `from_email` to `to`.

    On Django's SMTP backend the bytes go straight to the kept SMTP session: building
    the message with Python's email package cost more than everything else per message.
    Any other backend (an ESP through django-anymail, the console...) gets the
    EmailMessage `fallback()` builds.
    """

    def send(connection):
        if isinstance(connection, SMTPBackend):
            if connection.connection is None:
                connection.open()
            connection.connection.sendmail(
                envelope_address(from_email), [envelope_address(to)], data
            )
        else:
            message = fallback()
            message.connection = connection
            message.send()

    _deliver(send, provider=provider, wait=wait)


def _deliver(send, *, provider: str, wait: bool) -> None:
    while (pause := mail_rate_wait(provider)) > 0:
        if not wait:
            raise RateLimited(pause)
        time.sleep(pause)
    try:
        try:
            send(_kept_connection())
        except STALE_CONNECTION_ERRORS:
            mail_connection_close()
            send(_kept_connection())
    except smtplib.SMTPException as exc:
        code = smtp_code(exc)
        if code is not None and 400 <= code < 500:
            provider_slow(provider)
        if not isinstance(exc, smtplib.SMTPRecipientsRefused):
            # After a refused DATA or sender the session may be mid-transaction: the
            # next message starts on a fresh one. (A refused recipient is reset by smtplib.)
            mail_connection_close()
        raise


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
