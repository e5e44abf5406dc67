"""lib.mail: one kept SMTP connection per worker thread, renewed when the server drops it."""

import contextlib
import socket

import pytest
from aiosmtpd.controller import Controller

from lib.mail import mail_connection_close, mail_send


class Recorder:
    def __init__(self):
        self.recipients = []
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):
        self.recipients.extend(envelope.rcpt_tos)
        self.sessions.add(id(session))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield recorder, controller
    mail_connection_close()
    with contextlib.suppress(AssertionError):  # a test may have stopped it already
        controller.stop()


def _send(to):
    mail_send(
        template="petitions/email/confirm",
        to=to,
        context={
            "signature": {"first_name": "Ada"},
            "petition": {"title": "Stop it", "target": "PhotoCircle"},
            "organisation": {"name": "Open Faces", "postal_address": "1 Street"},
            "confirm_url": "https://example.org/c/x/",
            "petition_url": "https://example.org/p/x/",
        },
    )


def test_it_sends_several_messages_over_one_session(smtp_server):
    recorder, _ = smtp_server

    for n in range(3):
        _send(f"p{n}@example.org")

    assert recorder.recipients == ["p0@example.org", "p1@example.org", "p2@example.org"]
    assert len(recorder.sessions) == 1


def test_it_reconnects_when_the_server_dropped_the_kept_connection(smtp_server):
    recorder, controller = smtp_server
    _send("before@example.org")
    controller.stop()  # the server restarts, and the kept connection is gone
    restarted = Controller(recorder, hostname="127.0.0.1", port=controller.port)
    restarted.start()
    try:
        _send("after@example.org")
    finally:
        restarted.stop()

    assert recorder.recipients == ["before@example.org", "after@example.org"]
    assert len(recorder.sessions) == 2
