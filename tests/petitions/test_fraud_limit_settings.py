"""The fraud limits' settings are read from the environment and refused when malformed."""

import json
from pathlib import Path

import pytest

from tests.django_process import django_process

ROOT = Path(__file__).resolve().parents[2]
NAMES = (
    "SIGN_LIMIT_NETWORK",
    "SIGN_LIMIT_NETWORK_WINDOW",
    "SIGN_LIMIT_DOMAIN",
    "SIGN_LIMIT_MAJOR_DOMAIN",
    "SIGN_LIMIT_DOMAIN_WINDOW",
    "SIGN_LIMIT_PETITION",
    "SIGN_LIMIT_PETITION_WINDOW",
    "DISPOSABLE_DOMAINS",
    "DISPOSABLE_DOMAINS_FILE",
)


def _settings(tmp_path, **env):
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}))"
    )
    return django_process(
        tmp_path, script, dropping=("DATABASE_URL", "REDIS_URL", "SIGN_LIMIT", "DISPOS"), **env
    )


def test_the_defaults_limit_networks_and_domains_but_never_a_petitions_spike(tmp_path):
    done = _settings(tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "SIGN_LIMIT_NETWORK": 100,
        "SIGN_LIMIT_NETWORK_WINDOW": 3600,
        "SIGN_LIMIT_DOMAIN": 300,
        "SIGN_LIMIT_MAJOR_DOMAIN": 0,
        "SIGN_LIMIT_DOMAIN_WINDOW": 3600,
        "SIGN_LIMIT_PETITION": 0,
        "SIGN_LIMIT_PETITION_WINDOW": 60,
        "DISPOSABLE_DOMAINS": "flag",
        "DISPOSABLE_DOMAINS_FILE": "",
    }


def test_the_values_are_read_from_the_environment(tmp_path):
    done = _settings(
        tmp_path, SIGN_LIMIT_PETITION="5000", SIGN_LIMIT_NETWORK="0", DISPOSABLE_DOMAINS="OFF"
    )
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert (values["SIGN_LIMIT_PETITION"], values["SIGN_LIMIT_NETWORK"]) == (5000, 0)
    assert values["DISPOSABLE_DOMAINS"] == "off"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIGN_LIMIT_NETWORK": "-1"}, "SIGN_LIMIT_NETWORK must be 0 (off) or more"),
        ({"SIGN_LIMIT_MAJOR_DOMAIN": "-5"}, "SIGN_LIMIT_MAJOR_DOMAIN must be 0 (off) or more"),
        ({"SIGN_LIMIT_PETITION": "-1"}, "SIGN_LIMIT_PETITION must be 0 (off) or more"),
        ({"SIGN_LIMIT_DOMAIN_WINDOW": "0"}, "SIGN_LIMIT_DOMAIN_WINDOW must be 1 second"),
        ({"SIGN_LIMIT_NETWORK": "lots"}, "invalid literal"),
        ({"DISPOSABLE_DOMAINS": "block"}, "DISPOSABLE_DOMAINS must be flag or off"),
    ],
)
def test_malformed_values_stop_start_up(tmp_path, env, message):
    done = _settings(tmp_path, **env)
    assert done.returncode != 0
    assert message in done.stderr
