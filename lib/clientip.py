"""The client's address, read only from hops we trust, and kept only in hashed form."""

import hashlib
import hmac
import ipaddress

from django.conf import settings


def client_ip(meta: dict) -> str:
    """REMOTE_ADDR, or the address TRUSTED_PROXIES hops back in X-Forwarded-For."""
    remote = meta.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return remote
    hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    # Each trusted proxy appends the address it saw; anything further left
    # was written by the client and proves nothing.
    if len(hops) >= proxies:
        return hops[-proxies]
    return remote


def ip_fingerprint(ip: str) -> tuple[str, str]:
    """A keyed hash of the address and its /24 (IPv4) or /48 (IPv6) network."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "", ""
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    digest = hmac.new(settings.IP_HASH_KEY.encode(), address.packed, hashlib.sha256)
    return digest.hexdigest(), str(network)
