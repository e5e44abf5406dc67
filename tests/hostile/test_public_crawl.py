"""A crawler's view of a petition with 1,000 signatures: what can the public read?

Every public URL reachable from the home page and the petition page (links, pagination,
the page's script endpoints), every public JSON endpoint, and the pages of signing
(thanks, confirm, confirmed) are fetched as a scraper would. Across all of them there is
no email address but the organisation's own, no IP address or network, no more signer
names than PUBLIC_SIGNERS_CAP, and no URL that addresses a row by a sequential id.
"""

import ipaddress
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from lib.i18n import path_language, prefixed_languages, translated_path
from petitions.counting import petition_recount
from petitions.models import Signature, Source, Update
from petitions.services import signature_confirmation_token
from tests.conftest import BASE_URL, sign_data
from tests.factories import SignatureFactory

pytestmark = pytest.mark.django_db

SIGNERS = 1000
CAP = 30
NAME = re.compile(r"\bSigner(\d{4})\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# Integer URL arguments that are not ids: a page number of a capped list.
NOT_IDS = {"page"}
SKIPPED_PREFIXES = ("/static/", "/staff/", "/admin/")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name in ("href", "src", "action") or name.endswith("-url")):
                self.urls.append(value)


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


@pytest.fixture
def crowded(petition, settings):
    """A petition with 1,000 signatures of every kind, bulk-created."""
    settings.PUBLIC_SIGNERS_CAP = CAP
    settings.PUBLIC_SIGNERS_PAGE = 7
    now = timezone.now()
    states = ["confirmed"] * 7 + ["pending", "invalidated", "fraudulent"]
    rows = []
    for n in range(SIGNERS):
        rows.append(
            SignatureFactory.build(
                petition=petition,
                state=states[n % len(states)],
                show_name=n % 3 != 0,
                first_name=f"Signer{n:04d}",
                last_name=f"Surname{n:04d}",
                email=f"signer{n:04d}@example.org",
                email_key=f"signer{n:04d}@example.org",
                postcode=f"PC{n:04d}",
                comment=f"Reason of signer {n:04d}." if n % 2 else "",
                ip_hash=f"{n:064x}",
                ip_prefix=f"198.51.{n % 250}.0/24",
                confirmed_at=now - timedelta(seconds=n),
            )
        )
    Signature.objects.bulk_create(rows)
    for n in range(12):  # three pages of updates
        Update.objects.create(petition=petition, title=f"Update {n}", body="We handed it in.",
                              published_at=now - timedelta(hours=n + 1))  # fmt: skip
    Source.objects.create(petition=petition, title="A report", publisher="A paper",
                          url="https://news.example/report")  # fmt: skip
    petition_recount(petition=petition)
    return petition


def _same_site(url: str) -> str | None:
    parts = urlsplit(urljoin(BASE_URL + "/", url))
    if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(BASE_URL).netloc:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return None if path.startswith(SKIPPED_PREFIXES) else path


def _crawl(client, starts: list[str]) -> dict[str, tuple[int, str]]:
    seen: dict[str, tuple[int, str]] = {}
    queue = list(starts)
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        body = response.content.decode("utf-8", "replace") if response.content else ""
        seen[url] = (response.status_code, body)
        if response.status_code in (301, 302):
            queue.append(_same_site(response["Location"]) or "/")
        if "html" in response.get("Content-Type", ""):
            queue += [path for link in _links(body) if (path := _same_site(link))]
    return seen


def _sequential_ids(url: str) -> list[str]:
    """The integer arguments of `url` that could name a row: path converters and query values."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return []
    found = [
        f"{name}={value}"
        for name, value in match.kwargs.items()
        if isinstance(value, int) and name not in NOT_IDS
    ]
    found += [f"?{k}={v}" for k, v in parse_qsl(parts.query) if v.isdigit()]
    return found


def _everything_public(client, petition) -> dict[str, tuple[int, str]]:
    slug = petition.slug
    starts = ["/", reverse("petitions:detail", args=[slug])]
    pages = _crawl(client, starts)
    # The JSON endpoints, the pages of signing, and a confirmation link's pages.
    pages |= _crawl(client, [reverse("petitions:count", args=[slug]),
                             reverse("petitions:visitor", args=[slug]),
                             reverse("petitions:thanks", args=[slug]),
                             reverse("petitions:confirmed", args=[slug])])  # fmt: skip
    recognise = client.post(reverse("mailings:recognise"), {"token": "x", "petition": slug})
    pages["POST /m/recognise/"] = (recognise.status_code, recognise.content.decode())
    signed = client.post(reverse("petitions:sign", args=[slug]), sign_data(
        email="new.signer@example.org", first_name="Newcomer", show_name="on"))  # fmt: skip
    pages["POST sign"] = (signed.status_code, signed.content.decode())
    pages |= _crawl(client, [signed["Location"]])
    pending = petition.signatures.get(email="new.signer@example.org")
    confirm = reverse("petitions:confirm", args=[signature_confirmation_token(signature=pending)])
    pages |= _crawl(client, [confirm])
    confirmed = client.post(confirm)
    pages["POST confirm"] = (confirmed.status_code, confirmed.content.decode())
    pages |= _crawl(client, [confirmed["Location"]])
    return pages


def test_a_crawler_finds_no_address_no_ip_no_ids_and_no_more_names_than_the_cap(crowded):
    pages = _everything_public(Client(REMOTE_ADDR="203.0.113.7"), crowded)
    organisation_addresses = {crowded.organisation.privacy_email.lower()}

    assert [url for url, (status, _) in pages.items() if status >= 500] == []
    every_language = [u for u in pages if not u.startswith("POST")]
    # Each page has one version per language (the switcher links them): count one.
    crawled = [u for u in every_language if path_language(u) is None]
    assert any("/signers/" in url for url in crawled), "the signers pages were not reached"
    assert len([u for u in crawled if "/updates/" in u]) == 2  # pages 2 and 3
    assert len([u for u in crawled if "/signers/" in u]) == -(-CAP // 7)
    for code in prefixed_languages():  # and every language's version was crawled too
        in_it = [u for u in every_language if path_language(u) == code]
        assert translated_path(reverse("petitions:detail", args=[crowded.slug]), code) in in_it
        assert len([u for u in in_it if "/updates/" in u]) == 2
    text = "\n".join(body for _, body in pages.values())
    emails = {address.lower() for address in EMAIL.findall(text)}
    assert emails <= organisation_addresses
    assert not any(f"signer{n:04d}@" in text for n in range(SIGNERS))
    addresses = [a for a in IPV4.findall(text) if _is_address(a)]
    assert addresses == []
    assert "198.51." not in text and "203.0.113" not in text
    assert not any(f"{n:064x}" in text for n in (1, 2, 999))
    assert "Surname" not in text and not re.search(r"PC\d{4}", text)  # surnames, postcodes never
    names = {int(n) for n in NAME.findall(text)}
    assert 0 < len(names) <= CAP
    assert [(url, ids) for url in crawled if (ids := _sequential_ids(url))] == []
    linked = [link for _, body in pages.values() for link in _links(body)]
    assert [(link, ids) for link in linked if (ids := _sequential_ids(_same_site(link) or "/"))] \
        == []  # fmt: skip


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def test_the_names_shown_are_the_newest_who_chose_to_be_shown(crowded):
    pages = _crawl(Client(), [reverse("petitions:detail", args=[crowded.slug])])
    text = "\n".join(body for _, body in pages.values())

    names = {int(n) for n in NAME.findall(text)}
    public = [
        n
        for n in range(SIGNERS)
        if n % 10 < 7 and n % 3 != 0  # confirmed and shown
    ][:CAP]

    assert names == set(public)
