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
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from lib.mail import absolute_url
from mailings import tokens

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
    url = absolute_url(reverse("mailings:unsubscribe", args=[token]))
    mailto = f"mailto:unsubscribe+{token}@{settings.MAILING_RETURN_DOMAIN}"
    return {
        "List-Unsubscribe": f"<{url}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def return_path(recipient_id: int) -> str:
    """The envelope sender that names this recipient when the message bounces."""
    token = tokens.recipient_token(recipient_id, tokens.BOUNCE)
    return f"bounces+{token}@{settings.MAILING_RETURN_DOMAIN}"


def display_from(mailing) -> str:
    name = " ".join("".join(c if c.isprintable() else " " for c in mailing.from_name).split())
    return str(Address(display_name=name, addr_spec=mailing.from_address))


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
