"""The client's address, read only from hops we trust, and kept only in hashed form."""

import hashlib
import hmac
import ipaddress
import re

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_BRACKETED = re.compile(r"\[([^\]]*)\](?::\d{1,5})?")
_IPV4_WITH_PORT = re.compile(r"([\d.]+):\d{1,5}")


def client_ip(meta: dict) -> str:
    """REMOTE_ADDR, or the address TRUSTED_PROXIES hops back in X-Forwarded-For.

    The address in its canonical form, or "" when the hop we trust wrote
    something that is not an address.
    """
    written = meta.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        # Each trusted proxy appends the address it saw; anything further left
        # was written by the client and proves nothing.
        if len(hops) >= proxies:
            written = hops[-proxies]
    address = _address(written)
    return "" if address is None else str(address)


def _address(written: str) -> IPAddress | None:
    """An address as proxies write it: bare, or with a port, IPv6 in brackets."""
    written = written.strip()
    with_port = _BRACKETED.fullmatch(written) or _IPV4_WITH_PORT.fullmatch(written)
    try:
        address = ipaddress.ip_address(with_port[1] if with_port else written)
    except ValueError:
        return None
    # A dual-stack socket shows IPv4 clients as ::ffff:a.b.c.d; as IPv6 their /48
    # would put every IPv4 client on the internet in one network.
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def ip_fingerprint(ip: str) -> tuple[str, str]:
    """A keyed hash of the address and its /24 (IPv4) or /48 (IPv6) network."""
    address = _address(ip)
    if address is None:
        return "", ""
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    digest = hmac.new(settings.IP_HASH_KEY.encode(), address.packed, hashlib.sha256)
    return digest.hexdigest(), str(network)


def client_network(meta: dict) -> str:
    """The client's /24 (IPv4) or /48 (IPv6) network, as ip_fingerprint names it; "" if none."""
    address = _address(client_ip(meta))
    if address is None:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
