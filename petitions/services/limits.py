"""Fraud limits a bot cannot see: counted on every sign POST, answered by the stored state.

Each sign POST counts its client network, its email domain and its petition in the cache
(lib.ratelimit: Redis when REDIS_URL is set, shared by every process) and looks its domain
up in the disposable list. Every check runs for every signature whatever the earlier ones
said, so the time taken does not tell a flagged signature from another. A signature over
a limit is stored as fraudulent with the reason (`Signature.flag_reason`) in the same
insert, is never counted and never emailed, and its sender gets the answer anyone gets.
Settings: SIGN_LIMIT_* and DISPOSABLE_DOMAINS (docs/trust.md, "Fraud limits").
"""

from typing import NamedTuple

from django.conf import settings
from django.utils.crypto import salted_hmac

from lib.addresses import MAJOR_DOMAINS, key_domain
from lib.disposable import is_disposable
from lib.ratelimit import window_hits

NETWORK_LIMIT = "network limit"
DOMAIN_LIMIT = "domain limit"
PETITION_CEILING = "petition ceiling"
DISPOSABLE_DOMAIN = "disposable domain"


def signature_flag_reason(*, petition_id: int, email_key: str, network: str) -> str:
    """Why a signature about to be stored is fraudulent ("" when it is not).

    `network` is the keyed hash of the client's network (signing.network_key), so the
    cache never holds a prefix; `email_key` is the canonical key, so the domain counted is
    the provider's own (googlemail.com counts as gmail.com). Every enabled counter is
    counted whatever the others say, in one round trip to Redis (lib.ratelimit.window_hits).
    """
    domain = key_domain(email_key)
    counters = [c for c in _counters(petition_id, network, domain) if c.counted]
    counts = window_hits([(c.key, c.window) for c in counters])
    reasons = [
        c.reason for c, count in zip(counters, counts, strict=True) if c.limit and count > c.limit
    ]
    if settings.DISPOSABLE_DOMAINS == "flag" and is_disposable(domain):
        reasons.append(DISPOSABLE_DOMAIN)
    return ", ".join(reasons)


class Counter(NamedTuple):
    reason: str
    key: str
    window: int
    limit: int  # 0: counted, never over
    counted: bool


def _counters(petition_id: int, network: str, domain: str) -> list[Counter]:
    major = domain in MAJOR_DOMAINS
    return [
        # A request with no client address (a local script) is counted but never over.
        Counter(
            NETWORK_LIMIT,
            f"sign:net:{petition_id}:{network or 'none'}",
            settings.SIGN_LIMIT_NETWORK_WINDOW,
            settings.SIGN_LIMIT_NETWORK if network else 0,
            counted=bool(settings.SIGN_LIMIT_NETWORK),
        ),
        # Every domain is counted while either domain limit is on: the same work whatever
        # the domain, and a limit switched on mid-spike knows the spike.
        Counter(
            DOMAIN_LIMIT,
            f"sign:dom:{petition_id}:{_domain_hash(domain)}",
            settings.SIGN_LIMIT_DOMAIN_WINDOW,
            settings.SIGN_LIMIT_MAJOR_DOMAIN if major else settings.SIGN_LIMIT_DOMAIN,
            counted=bool(settings.SIGN_LIMIT_DOMAIN or settings.SIGN_LIMIT_MAJOR_DOMAIN),
        ),
        Counter(
            PETITION_CEILING,
            f"sign:pet:{petition_id}",
            settings.SIGN_LIMIT_PETITION_WINDOW,
            settings.SIGN_LIMIT_PETITION,
            counted=bool(settings.SIGN_LIMIT_PETITION),
        ),
    ]


def _domain_hash(domain: str) -> str:
    # A domain can name a person (their own); the cache keeps a keyed hash of it.
    return salted_hmac("chorus.petitions.domain", domain, algorithm="sha256").hexdigest()[:24]
