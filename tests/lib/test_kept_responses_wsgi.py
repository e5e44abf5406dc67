"""lib.wsgi.KeptResponses: kept pages answered before Django, and only those."""

import io
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from lib.middleware import accepted_hosts, kept_responses
from lib.wsgi import KeptResponses

pytestmark = pytest.mark.django_db


class CountingApp:
    """Django behind the door, counting how many requests reach it."""

    def __init__(self):
        self.django = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        # As Django's test client does: the test's transaction holds the connection,
        # which the end-of-request hook would otherwise close.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return self.django(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def call(app, path, method="GET", host="127.0.0.1", query="", **headers):
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = status
        answer["headers"] = dict(response_headers)

    answer["body"] = b"".join(app(environ, start_response))
    return answer


@pytest.fixture
def door():
    accepted_hosts.clear()
    inner = CountingApp()
    return KeptResponses(inner), inner


def test_a_kept_page_is_answered_at_the_door_with_what_django_answered(petition, door):
    app, django = door
    first = call(app, f"/p/{petition.slug}/")

    again = call(app, f"/p/{petition.slug}/", query="utm_source=newsletter&ch=x")

    assert django.calls == 1
    assert again["status"] == "200 OK"
    assert again["body"] == first["body"]
    for name in ("ETag", "Content-Type", "Content-Security-Policy", "Cache-Control"):
        assert again["headers"][name] == first["headers"][name]
    assert int(again["headers"]["Content-Length"]) == len(first["body"])
    assert "Set-Cookie" not in again["headers"]


def test_the_door_answers_conditional_gets_with_304_and_head_without_a_body(petition, door):
    app, django = door
    etag = call(app, f"/p/{petition.slug}/")["headers"]["ETag"]

    not_modified = call(app, f"/p/{petition.slug}/", if_none_match=etag)
    head = call(app, f"/p/{petition.slug}/", method="HEAD")

    assert django.calls == 1
    assert not_modified["status"].startswith("304") and not_modified["body"] == b""
    assert head["status"] == "200 OK" and head["body"] == b""


def test_a_host_django_never_accepted_goes_to_django_and_is_refused(petition, door):
    app, django = door
    call(app, f"/p/{petition.slug}/")

    hostile = call(app, f"/p/{petition.slug}/", host="attacker.invalid")

    assert django.calls == 2
    assert hostile["status"].startswith("400")


def test_posts_and_pages_not_kept_go_to_django(petition, door):
    app, django = door
    call(app, f"/p/{petition.slug}/")

    call(app, f"/p/{petition.slug}/me.json")
    call(app, f"/p/{petition.slug}/sign/", method="POST")

    assert django.calls == 3


def test_once_the_kept_copy_expires_django_renders_it_again(petition, door):
    app, django = door
    call(app, f"/p/{petition.slug}/")

    kept_responses.clear()  # as when its seconds run out
    call(app, f"/p/{petition.slug}/")

    assert django.calls == 2
