"""The inbound settings are checked when Chorus starts: a wrong value stops it with a message."""

import subprocess
from pathlib import Path

import pytest

from tests.django_process import django_process

ROOT = Path(__file__).resolve().parents[2]


def _start(tmp_path, **env) -> subprocess.CompletedProcess:
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.urls import resolve, Resolver404\n"
        "try: webhook = resolve('/anymail/postmark/tracking/').url_name\n"
        "except Resolver404: webhook = 'none'\n"
        "print(settings.MAILING_SOFT_BOUNCE_LIMIT, settings.MAILING_OPEN_TRACKING, "
        "settings.MAILING_ANYMAIL_WEBHOOKS, webhook)"
    )
    return django_process(tmp_path, script, **env)


def test_the_defaults_track_no_opens_and_take_no_webhooks(tmp_path):
    done = _start(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "False", "False", "none"]


@pytest.mark.parametrize(
    "env, message",
    [
        ({"MAILING_SOFT_BOUNCE_LIMIT": "0"}, "MAILING_SOFT_BOUNCE_LIMIT must be 1 or more"),
        ({"MAILING_ANYMAIL_WEBHOOKS": "true"}, "needs ANYMAIL_WEBHOOK_SECRET"),
        (
            {"MAILING_ANYMAIL_WEBHOOKS": "true", "ANYMAIL_WEBHOOK_SECRET": "nocolon"},
            "needs ANYMAIL_WEBHOOK_SECRET",
        ),
    ],
)
def test_a_wrong_value_stops_chorus_with_a_message(tmp_path, env, message):
    done = _start(tmp_path, **env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


def test_webhooks_with_a_secret_start(tmp_path):
    done = _start(
        tmp_path, MAILING_ANYMAIL_WEBHOOKS="true", ANYMAIL_WEBHOOK_SECRET="chorus:long-password"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["True", "postmark_tracking_webhook"]
