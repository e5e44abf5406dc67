"""lib.mail: one kept SMTP connection per worker thread, renewed when the server drops it."""

import contextlib
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.mail.message import sanitize_address
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lib.mail import (
    envelope_address,
    header_line,
    mail_connection_close,
    mail_send,
    unfolded,
)


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


@pytest.mark.parametrize(
    "address",
    [
        "m1@gmail.com",
        "Bounces+AbC-d_e@OpenFaces.Example",
        "a.b@c",
        "a..b@c",
        "é@x.org",
        "a@bücher.de",
        '"q"@x.org',
        "a b@c",
        "x@" + "a" * 64 + ".com",
        "a@b.",
        "a@b\nBcc: c@d",
    ],
)
def test_envelope_addresses_come_out_as_djangos_sanitize_address_makes_them(address):
    assert _sanitized(envelope_address, address) == _sanitized(sanitize_address, address)


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.emails() | st.text(alphabet='ab.@+-_ "é\r\nxyz', max_size=20))
def test_any_envelope_address_comes_out_as_djangos_sanitize_address_makes_it(address):
    assert _sanitized(envelope_address, address) == _sanitized(sanitize_address, address)


def _sanitized(sanitize, address):
    """The sanitised address, or how it was refused (the error text aside)."""
    try:
        return sanitize(address) if sanitize is envelope_address else sanitize(address, "utf-8")
    except Exception as exc:  # some odd input makes the email package raise IndexError
        return type(exc).__name__


def test_a_long_non_ascii_sender_makes_one_from_line_that_reads_back_whole():
    name = "多言語の名前" * 10  # long enough for the email package to fold its encoding
    header = unfolded(sanitize_address((name, "petitions@example.org"), "utf-8"))

    line = header_line("From", header)

    assert line.isascii() and line.count(b"\r\n") == 1
    parsed = email.message_from_bytes(line + b"\r\n", policy=email.policy.default)["From"]
    assert parsed.addresses[0].display_name.replace(" ", "") == name
    assert parsed.addresses[0].addr_spec == "petitions@example.org"
