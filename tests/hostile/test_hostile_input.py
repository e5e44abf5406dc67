"""The hostile-input suite: every public form and endpoint and every staff form, each
given the battery of tests/hostile/battery.py one field at a time.

Found by walking the URL resolver (tests/hostile/targets.py): each URL is opened as the
person who uses it, its forms are read from the page, and every field gets script and
HTML injection, Markdown tricks, SQL-looking strings, overlong values, NUL and control
characters, bidi and zero-width characters, CSV formulas and, for addresses, invalid and
exotic but valid addresses; the query string of every page and the body of every POST
also get raw bytes that are not UTF-8. Each answer is a clear refusal or a correct,
escaped result: never a 5xx or a logged exception, never the payload echoed as live
markup, and a refused submission changes no table's row count.
"""

import logging
import zlib
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from tests.conftest import staff_login
from tests.hostile import battery as payloads
from tests.hostile.targets import SAMPLES, forms_in, table_rows, url_for, url_names, world_make

pytestmark = pytest.mark.django_db

ACCEPTED = (301, 302, 303)
ALWAYS = [payloads.SCRIPT, "a\x00b"]
MEGABYTE = 1024 * 1024
PER_FIELD = 5  # payloads per field besides ALWAYS and the overlong one, in rotation
RAW_BODY = b"first_name=\xff\xfe&email=\xc3\x28@example.org&comment=%ff%fe%00&token=\xed\xa0\x80"
RAW_QUERY = "q=%FF%FE%00&ch=\xff\xfe&page=\xc3\x28&country=%C0%AF"


class Visit:
    """One URL's run: the client as its persona, what went wrong, kept for the report."""

    def __init__(self, name, world, sample):
        self.name, self.world, self.sample = name, world, sample
        self.persona = sample.persona if sample else self._persona_of(url_for(name, world))
        self.client = self._client()
        self.problems: list[str] = []

    @staticmethod
    def _persona_of(url: str) -> str:
        return "owner" if url.startswith("/staff/") else "public"

    def _client(self) -> Client:
        client = Client(raise_request_exception=False, REMOTE_ADDR="203.0.113.9")
        if self.persona == "owner":
            staff_login(client, self.world["owner"])
        return client

    def signed_in_again(self) -> None:
        """A battery that signed the owner out (the sign-out URL) signs them back in."""
        if self.persona == "owner" and "_auth_user_id" not in self.client.session:
            self.client = self._client()

    def check(self, label: str, response, *, refused_rows=None) -> None:
        status = response.status_code
        if status >= 500:
            self.problems.append(f"{label}: {status}")
        body = b"" if getattr(response, "streaming", False) else response.content
        is_html = "html" in response.get("Content-Type", "")
        html = body.decode("utf-8", "replace") if is_html else ""
        if markers := payloads.raw_markers_in(html):
            self.problems.append(f"{label}: echoed as live markup: {markers}")
        if refused_rows is not None and status not in ACCEPTED:
            before, after = refused_rows
            changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
            if changed and not self._writes_when_answered(status):
                self.problems.append(f"{label}: refused ({status}) but stored {changed}")
        if status in ACCEPTED and response.get("Location"):
            self._follow(label, response["Location"])

    def _writes_when_answered(self, status: int) -> bool:
        return status == 200 and self.name in WRITES_WITH_200 and not self.sample.read

    def _follow(self, label: str, location: str) -> None:
        path = urlsplit(urljoin("http://testserver/", location))
        if path.netloc not in ("testserver", "") or path.path.startswith("/admin/"):
            return
        self.signed_in_again()
        target = path.path + (f"?{path.query}" if path.query else "")
        self.check(f"{label} -> {target}", self.client.get(target))


# Answers of 200 that are a success which writes (a resent link records its job).
# An export is its download, and records that it was made (orgs.ExportRecord).
WRITES_WITH_200 = {
    "petitions:resend",
    "mailings:unsubscribe",
    "members:optin",
    "staff:members_export",
    "staff:petition_export",
    # A new token or webhook secret is shown once, on the page that answers the POST.
    "staff:partner_token_new",
    "staff:partner_webhook_new",
}


def _sampled(name: str, field: str, max_length: int | None) -> list[str]:
    everything = payloads.battery(field, max_length=max_length)
    rest = [p for p in everything if p not in ALWAYS and p != everything[-1]]
    start = zlib.crc32(f"{name}:{field}".encode()) % len(rest)
    chosen = (rest * 2)[start : start + PER_FIELD]
    if any(p in payloads.ADDRESSES for p in everything):  # an address field: every address
        chosen += [p for p in payloads.ADDRESSES if p not in chosen]
    return [*ALWAYS, *chosen, everything[-1]]


def _form_for(visit: Visit, url: str):
    """The form that posts to `url`, read from its page, or None when no page holds one."""
    sample = visit.sample
    page = url_for(sample.page, visit.world) if sample and sample.page else url
    response = visit.client.get(page)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return None
    for form in forms_in(response.content.decode()):
        target = urlsplit(urljoin(page, form.action or page)).path
        if form.method == "post" and target == urlsplit(url).path:
            return form
    return None


def _base(visit: Visit, url: str) -> tuple[dict, dict]:
    form = _form_for(visit, url)
    fields = {k: list(v) for k, v in (form.fields if form else {}).items()}
    fields.pop("csrfmiddlewaretoken", None)
    slug = visit.world["petition"].slug
    for key, value in (visit.sample.data if visit.sample else {}).items():
        fields[key] = [slug if value == "slug" else value]
    return fields, (form.max_lengths if form else {})


def _post(visit: Visit, url: str, fields: dict):
    visit.signed_in_again()
    before = table_rows()
    response = visit.client.post(url, urlencode(fields, doseq=True),
                                 content_type="application/x-www-form-urlencoded")  # fmt: skip
    return response, (before, table_rows())


def _postable(visit: Visit, url: str) -> bool:
    before = table_rows()
    response = visit.client.post(url, b"", content_type="application/x-www-form-urlencoded")
    visit.check("an empty POST", response, refused_rows=(before, table_rows()))
    return response.status_code != 405


def _query_battery(visit: Visit, url: str) -> None:
    response = visit.client.get(url)
    if response.status_code == 405:
        return
    visit.check("GET", response)
    visit.check("GET with raw bytes", visit.client.get(url, QUERY_STRING=RAW_QUERY))
    forms = []
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        forms = [f for f in forms_in(response.content.decode()) if f.method == "get"]
    fields = {name for form in forms for name in form.fields} | {"ch", "page", "q"}
    for field in sorted(fields):
        for payload in _sampled(visit.name, field, 200):
            query = urlencode({field: payload})
            visit.check(f"GET ?{field}={payload[:30]!r}", visit.client.get(f"{url}?{query}"))
            visit.signed_in_again()


def _post_battery(visit: Visit, url: str) -> None:
    base, max_lengths = _base(visit, url)
    keep = set(visit.sample.keep) | {"csrfmiddlewaretoken"}
    fuzzed = [f for f in base if f not in keep] or ["note"]
    for field in fuzzed:
        for payload in _sampled(visit.name, field, max_lengths.get(field)):
            response, rows = _post(visit, url, base | {field: [payload]})
            visit.check(f"POST {field}={payload[:30]!r}", response, refused_rows=rows)
            # The form as the page left it, for the next payload (a refusal changes nothing).
    # A 1 MB value: over the public body limit (413), within the staff one (a field error).
    response, rows = _post(visit, url, base | {fuzzed[0]: ["x" * MEGABYTE]})
    visit.check(f"POST {fuzzed[0]}=<1 MB>", response, refused_rows=rows)
    visit.signed_in_again()
    before = table_rows()
    response = visit.client.post(url, RAW_BODY, content_type="application/x-www-form-urlencoded")
    visit.check("POST with raw bytes", response, refused_rows=(before, table_rows()))
    for attempt in ("once", "twice"):  # a double submit
        response, rows = _post(visit, url, _base(visit, url)[0])
        visit.check(f"POST the form as shown, {attempt}", response, refused_rows=rows)


@pytest.mark.parametrize("name", url_names())
def test_every_form_and_endpoint_answers_hostile_input_without_harm(
    name, petition, owner, caplog, settings, mailoutbox
):
    settings.PUBLIC_JSON_PER_MINUTE = 100_000
    world = world_make(petition, owner)
    url = url_for(name, world)
    visit = Visit(name, world, SAMPLES.get(name))

    with caplog.at_level(logging.WARNING):
        _query_battery(visit, url)
        if _postable(visit, url):
            assert visit.sample is not None, (
                f"{name} ({url}) takes a POST: add it to SAMPLES in tests/hostile/targets.py"
            )
            _post_battery(visit, url)

    assert visit.problems == [], "\n".join(visit.problems)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_every_sample_names_a_url_that_exists():
    names = set(url_names())

    assert sorted(set(SAMPLES) - names) == []
    assert sorted({s.page for s in SAMPLES.values() if s.page} - names) == []


def test_the_walk_reaches_public_and_staff_urls():
    names = url_names()

    assert "petitions:sign" in names and "staff:petition_new" in names
    try:
        resolve("/admin/")
    except Resolver404:  # pragma: no cover - the admin is mounted
        pytest.fail("the admin is not mounted")
