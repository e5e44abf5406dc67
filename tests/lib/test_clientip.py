"""lib.clientip: the client address from trusted hops only, kept only in hashed form."""

import pytest

from lib.clientip import client_ip, ip_fingerprint


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "198.51.100.7"),
        (0, "192.0.2.1", "198.51.100.7"),  # anyone can send the header
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # the client wrote the left part
        (2, "6.6.6.6, 192.0.2.1, 10.0.0.9", "192.0.2.1"),
        (2, "", "198.51.100.7"),  # fewer hops than proxies: trust only the socket
        (1, " , ", "198.51.100.7"),
    ],
)
def test_it_reads_the_address_the_trusted_proxies_saw(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": forwarded}

    assert client_ip(meta) == expected


def test_the_fingerprint_is_a_keyed_hash_and_a_24_prefix(settings):
    digest, prefix = ip_fingerprint("198.51.100.7")

    assert prefix == "198.51.100.0/24"
    assert len(digest) == 64 and "198" not in digest
    assert ip_fingerprint("198.51.100.7")[0] == digest
    assert ip_fingerprint("198.51.100.8")[0] != digest
    settings.IP_HASH_KEY = "another key"
    assert ip_fingerprint("198.51.100.7")[0] != digest


def test_an_ipv6_address_keeps_only_its_48_prefix():
    assert ip_fingerprint("2001:db8:1:2:3::4")[1] == "2001:db8:1::/48"


@pytest.mark.parametrize("garbage", ["", "unknown", "999.1.1.1", "<script>", "1.2.3.4, 5.6.7.8"])
def test_an_unreadable_address_stores_nothing(garbage):
    assert ip_fingerprint(garbage) == ("", "")
