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


REAL_CLIENT = "192.0.2.1"


def _chain(*, client_written: int, proxies: int) -> str:
    """X-Forwarded-For as it arrives: whatever the client wrote, then one entry per proxy.

    The outermost trusted proxy writes the address it saw (the real client); each
    proxy after it writes the proxy before it.
    """
    spoofed = [f"6.6.6.{n}" for n in range(1, client_written + 1)]
    inner = [f"10.0.0.{n}" for n in range(1, proxies)]
    return ", ".join([*spoofed, REAL_CLIENT, *inner])


@pytest.mark.parametrize("proxies", [1, 2, 3])
@pytest.mark.parametrize("client_written", [0, 1, 2, 5])
def test_it_reads_the_client_the_outermost_trusted_proxy_saw(settings, proxies, client_written):
    settings.TRUSTED_PROXIES = proxies
    forwarded = _chain(client_written=client_written, proxies=proxies)
    meta = {"REMOTE_ADDR": "10.0.0.99", "HTTP_X_FORWARDED_FOR": forwarded}

    assert client_ip(meta) == REAL_CLIENT


@pytest.mark.parametrize("proxies", [1, 2, 3])
@pytest.mark.parametrize("missing", [1, 2, 3])
def test_a_chain_shorter_than_the_trusted_proxies_falls_back_to_the_socket(
    settings, proxies, missing
):
    settings.TRUSTED_PROXIES = proxies
    hops = _chain(client_written=0, proxies=proxies).split(", ")
    forwarded = ", ".join(hops[missing:])  # the request skipped an outer proxy
    meta = {"REMOTE_ADDR": "10.0.0.99", "HTTP_X_FORWARDED_FOR": forwarded}

    assert client_ip(meta) == "10.0.0.99"


@pytest.mark.parametrize("forwarded", ["", "6.6.6.6", "6.6.6.6, 192.0.2.1, 10.0.0.1"])
def test_without_trusted_proxies_the_header_is_never_believed(settings, forwarded):
    settings.TRUSTED_PROXIES = 0
    meta = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": forwarded}

    assert client_ip(meta) == "198.51.100.7"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("192.0.2.1:51234", "192.0.2.1"),  # some load balancers add the client's port
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),  # an IPv4 client seen by a dual-stack proxy
        (" 192.0.2.1 ", "192.0.2.1"),
    ],
)
def test_it_reads_ports_brackets_and_ipv6_as_proxies_write_them(settings, written, expected):
    settings.TRUSTED_PROXIES = 2
    meta = {"REMOTE_ADDR": "10.0.0.99", "HTTP_X_FORWARDED_FOR": f"6.6.6.6,{written},10.0.0.1"}

    assert client_ip(meta) == expected


@pytest.mark.parametrize(
    "written", ["unknown", "_hidden", "999.1.1.1", "<script>", "192.0.2.1:port", "[::1", "\x00"]
)
@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_an_unreadable_trusted_hop_gives_no_address_and_never_the_spoofed_one(
    settings, written, proxies
):
    settings.TRUSTED_PROXIES = proxies
    inner = ", 10.0.0.1" if proxies == 2 else ""
    meta = {"REMOTE_ADDR": written, "HTTP_X_FORWARDED_FOR": f"6.6.6.6, {written}{inner}"}

    assert client_ip(meta) == ""


def test_an_ipv4_mapped_socket_address_keeps_its_ipv4_24_prefix():
    # A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; their /48 would lump
    # every IPv4 client on the internet into one network.
    assert ip_fingerprint("::ffff:198.51.100.7") == ip_fingerprint("198.51.100.7")
    assert ip_fingerprint("::ffff:198.51.100.7")[1] == "198.51.100.0/24"
