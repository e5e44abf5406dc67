"""The same security headers on every kind of response, and no-store where data is echoed.

Pages rendered by Django, pages served from memory (by the middleware and at the
WSGI door), static files from WhiteNoise, errors, redirects and refusals all
carry the same policy.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from chorus.pagecache import KeptPagesDoor, accepted_hosts
from tests.conftest import sign_data, staff_login
from tests.lib.test_request_body_guard import _urls, world  # noqa: F401 - a fixture
from tests.test_pagecache_door import CountingApp, call

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
HSTS = "max-age=31536000; includeSubDomains"
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Permissions-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.fixture
def https(settings):
    """BASE_URL is https (the suite's default), with the HSTS that settings derive from it."""
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.WHITENOISE_USE_FINDERS = True  # serve static/ without collectstatic
    settings.WHITENOISE_AUTOREFRESH = True


def _security_headers(headers) -> dict:
    return {name: headers.get(name) for name in SECURITY_HEADERS}


def _answers(petition) -> dict:
    client = Client()
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    # A first visit is sent to its language's page: once as the page is first rendered,
    # once from the page kept in memory.
    redirect_first = french.get(f"/p/{petition.slug}/")
    kept_first = client.get(f"/p/{petition.slug}/")
    kept_again = client.get(f"/p/{petition.slug}/")
    redirect_kept = Client(HTTP_ACCEPT_LANGUAGE="fr").get(f"/p/{petition.slug}/")
    accepted_hosts.clear()
    door = KeptPagesDoor(CountingApp())
    call(door, f"/p/{petition.slug}/")
    return {
        "static file": client.get("/static/chorus/chorus.css"),
        "petition page": kept_first,
        "petition page kept by the middleware": kept_again,
        "petition page kept at the WSGI door": call(door, f"/p/{petition.slug}/"),
        "language redirect": redirect_first,
        "language redirect from a kept page": redirect_kept,
        "not found": client.get("/p/no-such-petition/"),
        "sign redirect": client.post(f"/p/{petition.slug}/sign/", sign_data()),
        "refused body": client.generic(
            "POST", f"/p/{petition.slug}/sign/", b"a=1", content_type="text/plain"
        ),
        "CSRF failure": Client(enforce_csrf_checks=True).post(
            f"/p/{petition.slug}/sign/", sign_data()
        ),
    }


def test_every_kind_of_response_carries_the_same_security_headers(https, petition):
    answers = _answers(petition)
    statuses = {
        name: answer["status"][:3] if isinstance(answer, dict) else str(answer.status_code)
        for name, answer in answers.items()
    }
    headers = {
        name: _security_headers(answer["headers"] if isinstance(answer, dict) else answer)
        for name, answer in answers.items()
    }

    assert statuses == {
        "static file": "200",
        "petition page": "200",
        "petition page kept by the middleware": "200",
        "petition page kept at the WSGI door": "200",
        "language redirect": "302",
        "language redirect from a kept page": "302",
        "not found": "404",
        "sign redirect": "302",
        "refused body": "400",
        "CSRF failure": "403",
    }
    expected = headers["petition page"]
    assert expected["Strict-Transport-Security"] == HSTS
    assert None not in expected.values()
    assert headers == {name: expected for name in answers}


def test_hsts_is_sent_even_when_the_proxy_does_not_say_the_request_was_https(https, petition):
    response = Client().get(f"/p/{petition.slug}/")  # plain http, no X-Forwarded-Proto

    assert response["Strict-Transport-Security"] == HSTS


def test_the_permissions_policy_allows_no_feature_to_anyone(petition):
    policy = Client().get(f"/p/{petition.slug}/")["Permissions-Policy"]

    directives = [d.strip() for d in policy.split(",")]
    assert {"camera=()", "microphone=()", "geolocation=()", "payment=()"} <= set(directives)
    assert all(d.endswith("=()") for d in directives)


def test_the_csrf_cookie_is_out_of_reach_of_scripts(petition):
    response = Client().get(f"/p/{petition.slug}/me.json")

    assert response.cookies["csrftoken"]["httponly"] is True
    assert response.json()["csrf"]  # the page's script takes its token from here


def test_the_petition_pages_etag_is_an_opaque_digest_of_the_page(petition):
    etag = Client().get(f"/p/{petition.slug}/")["ETag"]

    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)


MARK = "Zanzibar"


def _echo_data() -> dict:
    """A form's worth of typed text under the names Chorus's forms use, each marked."""
    data = sign_data(first_name=MARK, last_name=MARK, postcode=MARK, comment=MARK)
    data.update(email=f"{MARK}@example", name=MARK, title=MARK, username=MARK, note=MARK)
    return data


@pytest.mark.parametrize("csrf", ["valid", "failing"])
def test_every_response_that_echoes_what_was_typed_is_never_stored(world, csrf):  # noqa: F811
    client = Client(enforce_csrf_checks=True)
    staff_login(client, world["owner"])
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    body = urlencode(_echo_data()).encode()
    header = {"HTTP_X_CSRFTOKEN": token if csrf == "valid" else "x" * 32}

    echoing = {}
    for url in _urls(world):
        response = client.generic(
            "POST", url, body, content_type="application/x-www-form-urlencoded", **header
        )
        if MARK.encode() in response.content:
            echoing[url] = response.get("Cache-Control", "")

    sign = f"/p/{world['petition'].slug}/sign/"
    assert sign in echoing  # the sign form, re-shown with what was typed
    assert {
        url: ("private" in value and "no-store" in value) for url, value in echoing.items()
    } == {url: True for url in echoing}


def _deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CHORUS_TESTING", "DEBUG")
        and not k.startswith("PYTEST_")
    }
    environment.update(
        {
            "BASE_URL": "https://petitions.example.org",
            "ALLOWED_HOSTS": "petitions.example.org",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "IP_HASH_KEY": secrets.token_urlsafe(32),
            "DEBUG": "false",
            "CHORUS_TESTING": "false",
            "TRUSTED_PROXIES": "1",
            "DATA_DIR": str(tmp_path / "var"),
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_the_deploy_check_reports_nothing_with_an_https_base_url(tmp_path):
    done = _deploy_check(tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_the_deploy_check_warns_when_base_url_is_plain_http(tmp_path):
    done = _deploy_check(tmp_path, BASE_URL="http://petitions.example.org")

    assert done.returncode != 0
    assert "security.W004" in done.stderr  # no HSTS
    assert "security.W012" in done.stderr  # session cookie not Secure
