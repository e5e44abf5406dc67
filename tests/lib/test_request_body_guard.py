"""Never a 500 from a request body: every URL refuses an unreadable body with the 400 page.

The class is every URL pattern in the URLconf, public and staff, each given the
hostile bodies a client can send: a charset other than UTF-8 (declared, or unknown),
broken multipart, a body over the path's limit, and multipart where only a plain
form is taken. Each gets the designed page, no traceback in the log, and nothing
stored.
"""

import http.client
import logging
import secrets
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import BadRequest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jobs.models import Job
from orgs.people import invitation_create
from tests.conftest import sign_data, staff_login
from tests.factories import JobFactory, SignatureFactory

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
PUBLIC_LIMIT = 4096  # small limits keep the over-long bodies cheap to send
STAFF_LIMIT = 64 * 1024
REFUSED_MARK = b"data-refused"


def _multipart(fields: dict, boundary: str = "chorusboundary") -> bytes:
    lines = []
    for name, value in fields.items():
        lines += [f"--{boundary}", f'Content-Disposition: form-data; name="{name}"', "", value]
    return ("\r\n".join([*lines, f"--{boundary}--", ""])).encode()


FIELDS = urlencode(sign_data(first_name="André")).encode()

# name -> (content type, body, applies to staff paths too, status)
HOSTILE_BODIES = {
    "iso-8859-1 charset": (
        f"{FORM}; charset=iso-8859-1",
        urlencode(sign_data(first_name="André"), encoding="latin-1").encode(),
        True,
        400,
    ),
    "utf-16 charset": (f"{FORM}; charset=utf-16", FIELDS.decode().encode("utf-16"), True, 400),
    "unknown charset": (f"{FORM}; charset=x-klingon", FIELDS, True, 400),
    "multipart without a boundary": ("multipart/form-data", _multipart(sign_data()), True, 400),
    "multipart with a truncated base64 file": (
        "multipart/form-data; boundary=chorusboundary",
        b'--chorusboundary\r\nContent-Disposition: form-data; name="image"; '
        b'filename="a.png"\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJDRA\r\n'
        b"--chorusboundary--\r\n",
        True,
        400,
    ),
    "body over the public limit": (FORM, b"comment=" + b"x" * PUBLIC_LIMIT, False, 413),
    "body over the staff limit": (FORM, b"comment=" + b"x" * STAFF_LIMIT, True, 413),
    "multipart to a public form": (
        "multipart/form-data; boundary=chorusboundary",
        _multipart(sign_data()),
        False,
        400,
    ),
    "a file part to a public form": (
        "multipart/form-data; boundary=chorusboundary",
        b'--chorusboundary\r\nContent-Disposition: form-data; name="image"; '
        b'filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--chorusboundary--\r\n',
        False,
        400,
    ),
}


@pytest.fixture
def limits(settings):
    settings.PUBLIC_BODY_MAX_BYTES = PUBLIC_LIMIT
    settings.STAFF_BODY_MAX_BYTES = STAFF_LIMIT


@pytest.fixture
def world(petition, owner):
    """One real row behind every kind of id a URL pattern takes."""
    SignatureFactory(petition=petition)
    JobFactory()
    Group.objects.get_or_create(name="Campaigner")
    invitation = invitation_create(email="new@openfaces.example", role="Analyst", by=owner)
    return {"petition": petition, "owner": owner, "invitation": invitation}


def _urls(world) -> list[str]:
    """Every URL pattern in the URLconf, resolved with real slugs and ids."""
    urls = []
    for name, kwarg_names in _named_patterns(get_resolver().url_patterns):
        kwargs = {kwarg: _value_for(kwarg, name, world) for kwarg in kwarg_names}
        urls.append(reverse(name, kwargs=kwargs))
    urls.append("/media/petitions/nothing-here.png")  # the one unnamed public pattern
    return urls


def _named_patterns(patterns, namespace=(), kwargs=()):
    for pattern in patterns:
        names = tuple(
            getattr(pattern.pattern, "converters", None) or pattern.pattern.regex.groupindex
        )
        if isinstance(pattern, URLResolver):
            inner = (*namespace, pattern.namespace) if pattern.namespace else namespace
            yield from _named_patterns(pattern.url_patterns, inner, kwargs + names)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield ":".join((*namespace, pattern.name)), kwargs + names


def _value_for(kwarg: str, url_name: str, world) -> str:
    petition = world["petition"]
    if kwarg == "slug":
        return petition.slug
    if kwarg == "token":
        # Shaped as a real link's token; the guard answers before any view looks it up.
        return secrets.token_hex(32)
    if kwarg == "user_pk":
        return str(world["owner"].pk)
    if kwarg == "invitation_pk":
        return str(world["invitation"].pk)
    if kwarg in ("object_id", "id", "pk"):
        return str(_instance_for(url_name, world).pk)
    if kwarg == "signature_pk":  # the workspace's signature pages answer for real ones
        return str(petition.signatures.first().pk)
    if kwarg == "page":  # a page of a petition's public signers
        return "2"
    if kwarg == "link":  # a mailing's click link: its index in the mailing's links
        return "0"
    if kwarg in (
        "update_pk",
        "member_pk",
        "import_pk",
        "segment_pk",
        "mailing_pk",
        "bulk_pk",
        "pack_pk",
    ):
        return "1"  # the guard answers before any lookup
    if kwarg in ("partner_pk", "apitoken_pk", "endpoint_pk", "rest"):
        return "1"  # the guard answers before any lookup
    if kwarg == "language":  # a petition's translation
        return "fr"
    if kwarg == "version":
        return petition.organisation.brand_version  # /brand/<version>.css
    if kwarg == "app_label":
        return "petitions"
    if kwarg == "content_type_id":
        from django.contrib.contenttypes.models import ContentType

        return str(ContentType.objects.get_for_model(petition).pk)
    if kwarg in ("queue_index", "scheduler_index", "connection_index"):
        return "0"  # django-rq's pages (with REDIS_URL): the one queue Chorus uses
    if kwarg in ("job_id", "result_id", "key", "scheduler_name", "cron_job_name"):
        return secrets.token_hex(8)  # names in Redis; the guard answers before any lookup
    raise AssertionError(f"{url_name} takes {kwarg!r}: say here which real value it gets")


def _instance_for(url_name: str, world):
    if url_name == "petition_preview":
        return world["petition"]
    for model in admin.site._registry:
        named = url_name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_")
        if named and model._meta.managed:  # django-rq's dashboard has no table
            return model.objects.first() or world["petition"]
    return world["petition"]


def _rows() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.managed
    }


def _hostile_client(owner) -> Client:
    """A signed-in browser with a valid CSRF cookie and token, as the CSRF check wants."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    staff_login(client, owner)  # past the second factor, so staff views are reached
    client.cookies["csrftoken"] = _get_new_csrf_string()
    return client


def _post(client, url, content_type, body):
    return client.generic(
        "POST",
        url,
        body,
        content_type=content_type,
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


@pytest.mark.parametrize("variant", HOSTILE_BODIES)
def test_every_url_refuses_a_hostile_body_with_the_designed_page(variant, world, limits, caplog):
    content_type, body, for_staff, status = HOSTILE_BODIES[variant]
    client = _hostile_client(world["owner"])
    before = _rows()
    answers = {}

    with caplog.at_level(logging.DEBUG):
        for url in _urls(world):
            if url.startswith(("/staff/", "/admin/")) and not for_staff:
                continue
            response = _post(client, url, content_type, body)
            answers[url] = (response.status_code, _designed_refusal(response))

    assert answers == {url: _expected(variant, url, status) for url in answers}
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert "Traceback" not in caplog.text
    assert _rows() == before


def _designed_refusal(response) -> bool:
    """The designed page, or under /api/ its JSON twin (chorus.middleware.json_refused)."""
    if response.get("Content-Type") == "application/json":
        return "error" in response.json() and REFUSED_MARK not in response.content
    return REFUSED_MARK in response.content


def _expected(variant: str, url: str, status: int) -> tuple[int, bool]:
    # A mailing's one-click unsubscribe takes multipart form fields (RFC 8058 says mail
    # providers SHOULD post it so), never a file.
    if variant == "multipart to a public form" and url.startswith("/m/u/"):
        return (200, False)
    return (status, True)


def test_the_staff_area_still_takes_multipart_with_files(world, limits):
    client = _hostile_client(world["owner"])
    url = reverse("admin:petitions_petition_change", args=[world["petition"].pk])

    response = _post(client, url, "multipart/form-data; boundary=chorusboundary", _multipart({}))

    assert REFUSED_MARK not in response.content


def test_readable_bodies_pass_the_guard_on_every_url(world, limits):
    client = _hostile_client(world["owner"])
    body = urlencode(sign_data()).encode()

    refused = [
        url
        for url in _urls(world)
        if REFUSED_MARK in _post(client, url, FORM, body).content
        or REFUSED_MARK in _post(client, url, f"{FORM}; charset=UTF-8", body).content
    ]

    assert refused == []


def test_the_longest_valid_sign_form_fits_the_public_limit(public_client, petition):
    # Four bytes of UTF-8 for every character, each byte percent-encoded: the worst case.
    wide = "\U00020000"
    data = sign_data(
        first_name=wide * 100, last_name=wide * 100, postcode="N1 0AA", comment=wide * 1000
    )
    body = urlencode(data).encode()

    response = public_client.post(f"/p/{petition.slug}/sign/", body, content_type=FORM)

    assert REFUSED_MARK not in response.content
    assert response.status_code == 302
    assert Job.objects.exists()


def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(
    public_client, petition
):
    # The test client's payload raises if read past what it holds: the guard must not try.
    response = public_client.generic(
        "POST", f"/p/{petition.slug}/sign/", b"first_name=Ada", content_type=FORM,
        CONTENT_LENGTH=str(10**9),
    )  # fmt: skip

    assert response.status_code == 413
    assert REFUSED_MARK in response.content


@pytest.mark.parametrize("length", ["-1", "ten", "1e3"])
def test_a_content_length_that_is_not_a_length_is_refused(public_client, petition, length):
    response = public_client.generic(
        "POST", f"/p/{petition.slug}/sign/", b"", content_type=FORM, CONTENT_LENGTH=length
    )

    assert response.status_code == 400
    assert REFUSED_MARK in response.content


def _unreadable_request():
    """A POST whose body raises when read, and a CSRF cookie that makes the check read it."""
    request = RequestFactory().generic(
        "POST", "/p/x/sign/", "first_name=Ada".encode("utf-16"),
        content_type=f"{FORM}; charset=utf-16",
    )  # fmt: skip
    request.COOKIES["csrftoken"] = _get_new_csrf_string()
    with pytest.raises(BadRequest):
        request.POST  # noqa: B018
    return request


def test_the_400_handler_does_not_read_the_body_again():
    handler = get_resolver().resolve_error_handler(400)

    response = handler(_unreadable_request(), BadRequest("unreadable"))

    assert response.status_code == 400
    assert REFUSED_MARK in response.content


def test_the_500_handler_does_not_read_the_body_again():
    handler = get_resolver().resolve_error_handler(500)

    response = handler(_unreadable_request())

    assert response.status_code == 500
    assert b"Something went wrong" in response.content


@pytest.mark.django_db(transaction=True)
def test_a_live_server_answers_a_latin_1_form_with_the_400_page(live_server, petition, caplog):
    """Raw HTTP, as an attacker sends it, through the real WSGI handler and CSRF check."""
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", f"/p/{petition.slug}/me.json")
    answer = connection.getresponse()
    answer.read()
    cookie = answer.getheader("Set-Cookie").split(";")[0]
    token = cookie.split("=", 1)[1]
    body = urlencode(sign_data(first_name="André"), encoding="latin-1").encode()

    with caplog.at_level(logging.DEBUG):
        connection.request(
            "POST",
            f"/p/{petition.slug}/sign/",
            body,
            {
                "Content-Type": f"{FORM}; charset=iso-8859-1",
                "Cookie": cookie,
                "X-CSRFToken": token,
            },
        )
        answer = connection.getresponse()
        page = answer.read()

    assert answer.status == 400
    assert REFUSED_MARK in page
    assert "Traceback" not in caplog.text
    assert not petition.signatures.exists()
