"""The default mail backend: a few lines per email in the terminal, the whole message in a file."""

import email
import io
import stat
import subprocess
import sys
from email import policy

import pytest
from django.core.mail import EmailMultiAlternatives

from chorus.consolemail import ConsoleSummaryBackend
from tests.checkout import checkout_copy, newcomer_env

TEXT = """Hello Ada,

Confirm your signature: https://act.example/c/token-1/
(or paste https://act.example/c/token-1/ into your browser)

Share it: https://act.example/p/stop-it/?utm=mail.
"""
HTML = '<p><a href="https://act.example/c/token-1/">Confirm</a></p>'


@pytest.fixture
def sent(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    terminal = io.StringIO()
    message = EmailMultiAlternatives(
        subject="Confirm your signature",
        body=TEXT,
        from_email="Chorus <petitions@chorus.invalid>",
        to=["ada@example.org"],
        connection=ConsoleSummaryBackend(stream=terminal),
    )
    message.attach_alternative(HTML, "text/html")
    message.send()
    return message, terminal.getvalue(), sorted((tmp_path / "mail").iterdir())


def test_it_prints_the_recipient_the_subject_and_each_link_of_the_text_once_without_the_full_stop(
    sent,
):
    _, terminal, [kept] = sent

    assert terminal.splitlines() == [
        "mail: to ada@example.org: Confirm your signature",
        "  https://act.example/c/token-1/",
        "  https://act.example/p/stop-it/?utm=mail",
        f"  (whole message: {kept})",
    ]


def test_the_kept_file_parses_back_to_the_message_sent(sent):
    _, _, [kept] = sent

    parsed = email.message_from_bytes(kept.read_bytes(), policy=policy.default)

    assert parsed["To"] == "ada@example.org"
    assert parsed["From"] == "Chorus <petitions@chorus.invalid>"
    assert parsed["Subject"] == "Confirm your signature"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == TEXT
    assert parsed.get_body(("html",)).get_content().strip() == HTML


def test_the_kept_files_are_readable_by_their_owner_only(sent):
    _, _, [kept] = sent

    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700


def test_emails_sent_within_one_second_are_kept_in_files_of_their_own(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    backend = ConsoleSummaryBackend(stream=io.StringIO())
    messages = [EmailMultiAlternatives(subject=f"n{n}", to=["a@example.org"]) for n in range(3)]

    assert backend.send_messages(messages) == 3

    kept = [email.message_from_bytes(path.read_bytes()) for path in (tmp_path / "mail").iterdir()]
    assert sorted(message["Subject"] for message in kept) == ["n0", "n1", "n2"]


def test_without_an_email_url_chorus_summarises_mail_and_keeps_it_under_data_dir(tmp_path):
    checkout = checkout_copy(tmp_path / "chorus")
    send = (
        "import django; django.setup()\n"
        "from django.core.mail import send_mail\n"
        "send_mail('Hello', 'Go to https://act.example/p/x/', None, ['ada@example.org'])\n"
    )
    env = newcomer_env(
        DJANGO_SETTINGS_MODULE="chorus.settings",
        DATA_DIR=str(tmp_path / "var"),
        SECRET_KEY="a-long-random-secret-key-for-this-test-only-0123456789",
        IP_HASH_KEY="another-key-for-this-test-only",
    )

    shown = subprocess.run(
        [sys.executable, "-c", send],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout

    [kept] = (tmp_path / "var" / "mail").iterdir()
    assert shown.splitlines() == [
        "mail: to ada@example.org: Hello",
        "  https://act.example/p/x/",
        f"  (whole message: {kept})",
    ]
