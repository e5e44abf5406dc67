"""The sending settings are read from the environment and refused when malformed."""

import json
from pathlib import Path

import pytest

from tests.django_process import django_process

ROOT = Path(__file__).resolve().parents[2]
NAMES = (
    "MAILING_RATE_PER_SECOND",
    "MAILING_PROVIDER_RATES",
    "MAILING_BATCH",
    "MAILING_MARK_EVERY",
    "MAILING_RETURN_DOMAIN",
    "MAILING_DKIM_SELECTOR",
)


def _settings(tmp_path, **env):
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}))"
    )
    return django_process(tmp_path, script, **env)


def test_the_defaults_send_unthrottled_with_returns_to_the_senders_domain(tmp_path):
    done = _settings(tmp_path, DEFAULT_FROM_EMAIL="Open Faces <act@openfaces.example>")
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values == {
        "MAILING_RATE_PER_SECOND": 0.0,
        "MAILING_PROVIDER_RATES": {},
        "MAILING_BATCH": 100,
        "MAILING_MARK_EVERY": 10,
        "MAILING_RETURN_DOMAIN": "openfaces.example",
        "MAILING_DKIM_SELECTOR": "",
    }


def test_provider_rates_are_read_by_name(tmp_path):
    done = _settings(tmp_path, MAILING_PROVIDER_RATES="gmail=20, Microsoft=10,other=0.5")
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values["MAILING_PROVIDER_RATES"] == {"gmail": 20, "microsoft": 10, "other": 0.5}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAILING_PROVIDER_RATES": "hotmail=5"}, "is not gmail, microsoft, yahoo or other"),
        ({"MAILING_PROVIDER_RATES": "gmail=fast"}, "is not provider=messages per second"),
        ({"MAILING_PROVIDER_RATES": "gmail=-1"}, "is negative"),
        ({"MAILING_RATE_PER_SECOND": "-3"}, "MAILING_RATE_PER_SECOND must be"),
        ({"MAILING_BATCH": "0"}, "MAILING_BATCH must be"),
        ({"MAILING_MARK_EVERY": "0"}, "MAILING_MARK_EVERY must be"),
        ({"MAILING_RETURN_DOMAIN": "a@b.example"}, "MAILING_RETURN_DOMAIN must be"),
        ({"MAILING_DKIM_SELECTOR": "chorus"}, "go together"),
        (
            {
                "MAILING_DKIM_KEY_PATH": "/nonexistent/dkim.pem",
                "MAILING_DKIM_SELECTOR": "chorus",
                "MAILING_DKIM_DOMAIN": "openfaces.example",
            },
            "no file at",
        ),
    ],
)
def test_malformed_sending_settings_stop_the_start_with_a_clear_message(tmp_path, env, message):
    done = _settings(tmp_path, **env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr
