"""The public read-only API: published petitions and folded counts, open, cached, limited."""

import pytest
from django.test import Client

from partners.models import Partner
from petitions.models import Petition, PetitionCount
from tests.api.helpers import confirmed_signatures, personal_data_in
from tests.factories import PartnerFactory, PetitionFactory

SUMMARY_KEYS = {
    "slug",
    "title",
    "target",
    "summary",
    "status",
    "language",
    "url",
    "count",
    "goal",
    "published_at",
    "closed_at",
}


@pytest.fixture
def client():
    return Client()


def _petitions(organisation, n, **extra):
    return [PetitionFactory(organisation=organisation, **extra) for _ in range(n)]


def test_it_lists_published_petitions_and_never_drafts(client, organisation):
    shown = _petitions(organisation, 2)
    PetitionFactory(organisation=organisation, status=Petition.Status.DRAFT, slug="secret-draft")

    body = client.get("/api/v1/petitions/").json()

    assert {p["slug"] for p in body["results"]} == {p.slug for p in shown}
    assert all(set(p) == SUMMARY_KEYS for p in body["results"])
    assert body["next"] is None and body["previous"] is None and body["page"] == 1


def test_it_filters_by_status(client, organisation):
    PetitionFactory(organisation=organisation, slug="still-open")
    PetitionFactory(organisation=organisation, slug="we-won", status=Petition.Status.WON)
    PetitionFactory(organisation=organisation, slug="closed-now", status=Petition.Status.CLOSED)

    for status, slug in [("open", "still-open"), ("won", "we-won"), ("closed", "closed-now")]:
        body = client.get(f"/api/v1/petitions/?status={status}").json()
        assert [p["slug"] for p in body["results"]] == [slug]


@pytest.mark.parametrize(
    "query",
    ["status=draft", "status=OPEN", "page=0", "page=-1", "page=abc", "page=1001", "page=١"],
)
def test_a_bad_status_or_page_gets_a_clear_json_400(client, db, query):
    response = client.get(f"/api/v1/petitions/?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "must be" in response.json()["error"]


def test_pages_link_to_each_other(client, organisation, settings):
    settings.API_PAGE_SIZE = 2
    _petitions(organisation, 5)

    first = client.get("/api/v1/petitions/?status=open").json()
    second = client.get(first["next"].removeprefix(settings.BASE_URL)).json()
    third = client.get(second["next"].removeprefix(settings.BASE_URL)).json()

    assert first["previous"] is None
    assert second["previous"].endswith("/api/v1/petitions/?status=open&page=1")
    assert third["next"] is None and len(third["results"]) == 1
    slugs = [p["slug"] for page in (first, second, third) for p in page["results"]]
    assert len(set(slugs)) == 5


def test_one_petition_carries_its_counts_by_country_day_and_partner(client, petition):
    partner = PartnerFactory(organisation=petition.organisation, slug="friends-of-faces")
    confirmed_signatures(petition, ["FR", "FR", "DE"], partner=partner)
    confirmed_signatures(petition, ["FR"])

    body = client.get(f"/api/v1/petitions/{petition.slug}/").json()

    assert body["count"] == 4
    assert body["countries"] == {"FR": 3, "DE": 1}
    assert sum(day["count"] for day in body["daily"]) == 4
    assert body["partners"] == {"friends-of-faces": 3}
    assert set(body) == SUMMARY_KEYS | {"countries", "daily", "partners"}


def test_the_counts_come_from_the_folded_table_not_from_signatures(
    client, petition, django_assert_max_num_queries
):
    PetitionCount.objects.create(petition=petition, dimension="total", value="", count=1234)
    PetitionCount.objects.create(petition=petition, dimension="country", value="ES", count=1234)

    with django_assert_max_num_queries(3):
        body = client.get(f"/api/v1/petitions/{petition.slug}/").json()

    assert body["count"] == 1234 and body["countries"] == {"ES": 1234}


def test_the_count_endpoint_answers_count_and_goal(client, petition):
    confirmed_signatures(petition, ["GB", "GB"])

    body = client.get(f"/api/v1/petitions/{petition.slug}/count/").json()

    assert body == {"slug": petition.slug, "count": 2, "goal": petition.goal_at(2)}


@pytest.mark.parametrize("suffix", ["", "count/"])
def test_a_draft_or_unknown_petition_is_a_json_404(client, organisation, suffix):
    PetitionFactory(organisation=organisation, slug="a-draft", status=Petition.Status.DRAFT)

    for slug in ("a-draft", "no-such-thing"):
        response = client.get(f"/api/v1/petitions/{slug}/{suffix}")
        assert response.status_code == 404
        assert response.json() == {"error": "No such petition."}


def test_an_unknown_api_path_is_a_json_404(client, db):
    response = client.get("/api/v1/signatures/")

    assert response.status_code == 404 and "error" in response.json()


@pytest.mark.parametrize("path", ["/api/v1/petitions/", "/api/v1/petitions/{slug}/count/"])
def test_get_is_open_to_every_origin_and_cacheable(client, petition, path):
    response = client.get(path.format(slug=petition.slug), HTTP_ORIGIN="https://news.example")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=" in response["Cache-Control"] and "public" in response["Cache-Control"]
    again = client.get(path.format(slug=petition.slug), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == response["ETag"]


def test_a_preflight_allows_reading_only(client, petition):
    response = client.options(
        f"/api/v1/petitions/{petition.slug}/",
        HTTP_ORIGIN="https://news.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_writing_to_a_public_endpoint_is_refused_without_cors(client, petition, method):
    response = getattr(client, method)(f"/api/v1/petitions/{petition.slug}/")

    assert response.status_code in (400, 403, 405)
    assert "Access-Control-Allow-Origin" not in response


def test_the_signing_route_is_not_open_to_browsers_of_other_origins(client, petition):
    response = client.options(
        f"/api/v1/petitions/{petition.slug}/signatures/", HTTP_ORIGIN="https://evil.example"
    )

    assert "Access-Control-Allow-Origin" not in response


def test_too_many_requests_from_one_network_get_a_429_with_retry_after(
    client, organisation, settings
):
    settings.PUBLIC_JSON_PER_MINUTE = 3
    answers = [
        client.get("/api/v1/petitions/", REMOTE_ADDR="203.0.113.9").status_code for _ in range(4)
    ]

    assert answers == [200, 200, 200, 429]
    refused = client.get("/api/v1/petitions/?status=open", REMOTE_ADDR="203.0.113.77")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/v1/petitions/", REMOTE_ADDR="192.0.2.1").status_code == 200


def test_no_api_answer_holds_an_email_or_ip_address(client, organisation):
    open_one = PetitionFactory(organisation=organisation, slug="open-one")
    won = PetitionFactory(organisation=organisation, slug="won-one", status=Petition.Status.WON)
    partner = PartnerFactory(organisation=organisation)
    signatures = confirmed_signatures(open_one, ["FR", "DE", "GB"], partner=partner)
    signatures += confirmed_signatures(won, ["US"], ip_hash="a" * 64)
    paths = [
        "/api/v1/openapi.json",
        "/api/v1/petitions/",
        "/api/v1/petitions/?status=won",
        "/api/v1/petitions/?page=2",
        "/api/v1/petitions/?status=nope",
        "/api/v1/petitions/nope/",
    ]
    for slug in ("open-one", "won-one"):
        paths += [f"/api/v1/petitions/{slug}/", f"/api/v1/petitions/{slug}/count/"]

    bodies = {path: client.get(path).content.decode() for path in paths}

    assert {path: personal_data_in(body) for path, body in bodies.items()} == {
        path: [] for path in paths
    }
    docs = client.get("/api/v1/").content.decode()
    for signature in signatures:
        assert signature.email not in docs and signature.email_key not in docs
    assert Partner.objects.count() == 1


def test_the_helper_finds_what_it_looks_for():
    found = personal_data_in('{"a": "x.y+z@mail.example", "b": "10.1.2.3", "c": "2001:db8::1"}')
    times = personal_data_in('{"at": "2026-12-06T09:15:02+00:00", "v": "1.2"}')

    assert found == ["x.y+z@mail.example", "10.1.2.3", "2001:db8::1"]
    assert times == []


def test_the_docs_page_explains_with_curl_and_loads_nothing_from_elsewhere(
    client, petition, settings
):
    response = client.get("/api/v1/")
    html = response.content.decode()

    assert response.status_code == 200
    assert (
        f"curl {settings.BASE_URL}/api/v1/" in html
        and f"/api/v1/petitions/{petition.slug}/count/" in html
    )
    assert "Chorus-Signature" in html and "compare_digest" in html
    assert "<script" not in html and "cdn" not in html.lower()
