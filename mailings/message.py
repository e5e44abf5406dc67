"""One mailing's message to one member, with the headers bulk mail needs to arrive.

- From: the mailing's from name and address (a configured sender only), Reply-To.
- List-Unsubscribe with an https URL and a mailto, and List-Unsubscribe-Post:
  List-Unsubscribe=One-Click (RFC 8058), as Gmail's and Yahoo's bulk-sender rules ask.
- A per-recipient return path (VERP): the envelope sender is
  bounces+<token>@MAILING_RETURN_DOMAIN, so every bounce names its recipient. Django's
  SMTP backend takes the envelope sender from `from_email`; the From header is set apart.
- Message-ID on the sender's domain, Date, Feedback-ID (mailing:organisation:chorus).
- DKIM-Signature when MAILING_DKIM_KEY_PATH, _SELECTOR and _DOMAIN are set: computed by
  dkimpy over the very bytes the SMTP backend sends.
"""

import functools
from email.headerregistry import Address
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address

from lib.mail import alternative_bytes, header_line, unfolded
from mailings import tokens
from mailings.render import token_url

# The headers a DKIM signature covers (those a relay has no business changing).
DKIM_HEADERS = [
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
]


class SenderNotAllowed(ValueError):
    """The mailing's from address is not one of MAILING_SENDERS."""


@functools.cache
def _dkim_key(path: str) -> bytes:
    with open(path, "rb") as key:
        return key.read()


def dkim_signature(data: bytes) -> bytes | None:
    """The DKIM-Signature header line (no line end) for `data`, or None when not configured."""
    if not settings.MAILING_DKIM_KEY_PATH:
        return None
    import dkim

    line = dkim.sign(
        data,
        settings.MAILING_DKIM_SELECTOR.encode(),
        settings.MAILING_DKIM_DOMAIN.encode(),
        _dkim_key(settings.MAILING_DKIM_KEY_PATH),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=DKIM_HEADERS,
    )
    return line.rstrip(b"\r\n")


class MailingMessage(EmailMultiAlternatives):
    """An EmailMultiAlternatives whose message is DKIM-signed when DKIM is configured."""

    def message(self):
        msg = super().message()
        data = msg.as_bytes(linesep="\r\n")
        signature = dkim_signature(data)
        if signature is not None:
            name, _, value = signature.decode("ascii").partition(":")
            # First, as signers put it; relaxed canonicalisation allows refolding.
            msg._headers.insert(0, (name, value.strip()))
        return msg


def sender_check(address: str) -> None:
    allowed = {a.lower() for a in settings.MAILING_SENDERS}
    if address.lower() not in allowed:
        raise SenderNotAllowed(f"{address} is not a configured sender (MAILING_SENDERS)")


def unsubscribe_headers(recipient_id: int) -> dict[str, str]:
    token = tokens.recipient_token(recipient_id, tokens.UNSUBSCRIBE)
    url = token_url("mailings:unsubscribe", token)
    mailto = f"mailto:unsubscribe+{token}@{settings.MAILING_RETURN_DOMAIN}"
    return {
        "List-Unsubscribe": f"<{url}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def return_path(recipient_id: int) -> str:
    """The envelope sender that names this recipient when the message bounces."""
    token = tokens.recipient_token(recipient_id, tokens.BOUNCE)
    return f"bounces+{token}@{settings.MAILING_RETURN_DOMAIN}"


def _display_name(mailing) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in mailing.from_name).split())


def display_from(mailing) -> str:
    return str(Address(display_name=_display_name(mailing), addr_spec=mailing.from_address))


def message_build(*, mailing, to: str, recipient_id: int, rendered) -> MailingMessage:
    """The message for one recipient from its personalised parts (mailings.render)."""
    sender_check(mailing.from_address)
    domain = mailing.from_address.rpartition("@")[2]
    headers = {
        "From": display_from(mailing),
        "Message-ID": make_msgid(domain=domain),
        **unsubscribe_headers(recipient_id),
        "Feedback-ID": f"{mailing.pk}:{mailing.organisation_id}:chorus",
    }
    message = MailingMessage(
        subject=" ".join(rendered.subject.split()),
        body=rendered.text,
        from_email=return_path(recipient_id),
        to=[to],
        reply_to=[mailing.reply_to] if mailing.reply_to else [],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


# ---- The same message, serialised directly -------------------------------------------------
#
# Python's email package took 1.2 ms to build and flatten one message, more than the
# rest of the send loop together. On Django's SMTP backend the send loop sends these bytes
# instead (lib.mail.mail_deliver_bytes); other backends get `message_build`'s message.
# Same headers, same parts: multipart/alternative, text then HTML, UTF-8, 8bit unless a
# line is too long for SMTP, then quoted-printable.


@functools.lru_cache(maxsize=64)
def _from_header(name: str, address: str) -> str:
    return unfolded(sanitize_address((name, address), "utf-8"))


def message_bytes(*, mailing, to: str, recipient_id: int, rendered) -> tuple[str, bytes]:
    """(envelope sender, message bytes with CRLF line ends), DKIM-signed when configured."""
    sender_check(mailing.from_address)
    domain = mailing.from_address.rpartition("@")[2]
    unsubscribe = unsubscribe_headers(recipient_id)
    # Folded between its two addresses (our own URLs: no line break can come from outside).
    both = unsubscribe["List-Unsubscribe"].replace(", <", ",\r\n <")
    headers = [
        header_line("Subject", " ".join(rendered.subject.split())),
        header_line("From", _from_header(_display_name(mailing), mailing.from_address)),
        header_line("To", to),
    ]
    if mailing.reply_to:
        headers.append(header_line("Reply-To", mailing.reply_to))
    headers += [
        header_line("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
        header_line("Message-ID", make_msgid(domain=domain)),
        f"List-Unsubscribe: {both}\r\n".encode("ascii"),
        header_line("List-Unsubscribe-Post", unsubscribe["List-Unsubscribe-Post"]),
        header_line("Feedback-ID", f"{mailing.pk}:{mailing.organisation_id}:chorus"),
    ]
    data = alternative_bytes(headers, rendered.text, rendered.html)
    signature = dkim_signature(data)
    if signature is not None:
        data = signature + b"\r\n" + data
    return return_path(recipient_id), data
