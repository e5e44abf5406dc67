"""A real SMTP server (aiosmtpd) for the sending tests: it keeps what it receives and
refuses the addresses it is told to, with the reply it is told to give."""

import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage, bytes]] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply, e.g. "451 4.7.1 later"
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = envelope.original_content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed, raw))
        return "250 OK"

    def addresses(self) -> list[str]:
        with self.lock:
            return [to for _, tos, _, _ in self.messages for to in tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def inbox_serve(settings):
    """A fixture's body: `yield from inbox_serve(settings)` gives the Inbox, then stops it."""
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    box.port = controller.port
    yield box
    from lib.mail import mail_connection_close

    mail_connection_close()
    controller.stop()
