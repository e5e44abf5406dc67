"""The petition page over a real socket: what an HTTP client sees of encodings, 304 and HEAD."""

import gzip
import http.client
from urllib.parse import urlsplit

import pytest

from tests.factories import OrganisationFactory, PetitionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _exchange(live_server, method: str, path: str, **headers) -> tuple[int, dict, bytes]:
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(method, path, headers={"Host": "localhost", **headers})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def test_a_client_gets_the_page_gzipped_or_plain_304_and_head_over_http(live_server):
    petition = PetitionFactory(organisation=OrganisationFactory())
    page = f"/p/{petition.slug}/"

    status, plain_headers, plain = _exchange(live_server, "GET", page)
    _, zipped_headers, zipped = _exchange(live_server, "GET", page, **{"Accept-Encoding": "gzip"})
    not_modified, _, nothing = _exchange(
        live_server,
        "GET",
        page,
        **{"Accept-Encoding": "gzip", "If-None-Match": zipped_headers["ETag"]},
    )
    head_status, head_headers, head_body = _exchange(
        live_server, "HEAD", page, **{"Accept-Encoding": "gzip"}
    )

    assert status == 200 and b"<form" in plain
    assert "Content-Encoding" not in plain_headers
    assert zipped_headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped) == plain
    assert int(zipped_headers["Content-Length"]) == len(zipped) < len(plain) / 3
    assert (not_modified, nothing) == (304, b"")
    assert (head_status, head_body) == (200, b"")
    assert head_headers["Content-Length"] == zipped_headers["Content-Length"]
