"""lib.disposable and manage.py chorus_disposable_domains: the list, the file, refreshing."""

import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lib import disposable
from lib.disposable import disposable_domains, is_disposable


@pytest.fixture
def domains_file(tmp_path, settings, monkeypatch):
    path = tmp_path / "disposable.txt"
    path.write_text("")
    settings.DISPOSABLE_DOMAINS_FILE = str(path)
    monkeypatch.setattr(disposable, "RECHECK_SECONDS", 0)
    return path


def _write(path, text: str) -> None:
    stat = path.stat()
    path.write_text(text)
    # A new modification time even within the file system's clock step.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def _run(*args) -> str:
    out = StringIO()
    call_command("chorus_disposable_domains", *args, stdout=out)
    return out.getvalue()


def test_the_packages_list_is_loaded(settings):
    settings.DISPOSABLE_DOMAINS_FILE = ""

    assert is_disposable("mailinator.com")
    assert is_disposable("MAILINATOR.com")
    assert is_disposable("inbox.mailinator.com")
    assert not is_disposable("example.org")
    assert not is_disposable("gmail.com")
    assert len(disposable_domains.domains()) > 1000


def test_the_file_adds_and_takes_off_domains_and_is_re_read_when_it_changes(domains_file):
    assert not is_disposable("bot-farm.example")

    _write(domains_file, "# ours\nBot-Farm.example  # seen on 2026-11-30\n\n-mailinator.com\n")
    assert is_disposable("bot-farm.example")
    assert not is_disposable("mailinator.com")

    _write(domains_file, "")
    assert not is_disposable("bot-farm.example")
    assert is_disposable("mailinator.com")


def test_an_internationalised_domain_in_the_file_matches_its_ascii_form(domains_file):
    _write(domains_file, "bücher.example\n")

    assert is_disposable("xn--bcher-kva.example")
    assert is_disposable("Bücher.example")


def test_a_missing_file_leaves_the_packages_list(settings, monkeypatch, tmp_path):
    monkeypatch.setattr(disposable, "RECHECK_SECONDS", 0)
    settings.DISPOSABLE_DOMAINS_FILE = str(tmp_path / "nowhere.txt")

    assert is_disposable("mailinator.com")


def test_a_file_that_is_not_text_does_not_break_signing(domains_file):
    _write(domains_file, "")
    domains_file.write_bytes(b"\xff\xfe\x00bad\nbot-farm.example\n")
    os.utime(domains_file, ns=(0, 10**18))

    assert is_disposable("bot-farm.example")
    assert is_disposable("mailinator.com")


def test_the_command_counts_what_is_loaded(domains_file):
    _write(domains_file, "bot-farm.example\nother-farm.example\n-mailinator.com\n")

    out = _run("--count")

    expected = len(disposable_domains.domains())
    assert out.startswith(f"{expected} disposable domains loaded (2 added and 1 taken off by ")
    assert "DISPOSABLE_DOMAINS=flag" in out


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ("someone@mailinator.com", "mailinator.com: disposable"),
        ("mailinator.com", "mailinator.com: disposable"),
        ("someone@googlemail.com", "gmail.com: not on the list"),
        ("Ada@Bücher.example", "xn--bcher-kva.example: not on the list"),
    ],
)
def test_the_command_checks_an_address_or_a_domain(settings, value, answer):
    settings.DISPOSABLE_DOMAINS_FILE = ""

    assert _run("--check", value).strip() == answer


def test_the_command_refuses_an_invalid_address():
    with pytest.raises(CommandError, match="Not a valid address"):
        _run("--check", "not@an@address")


def test_the_command_needs_one_question():
    with pytest.raises(CommandError):
        _run()
