"""Fraud limits a bot cannot see: counted on every sign POST, answered by the stored state.

Each sign POST counts its client network, its email domain and its petition in the cache
(lib.ratelimit: Redis when REDIS_URL is set, shared by every process) and looks its domain
up in the disposable list. Every check runs for every signature whatever the earlier ones
said, so the time taken does not tell a flagged signature from another. A signature over
a limit is stored as fraudulent with the reason (`Signature.flag_reason`) in the same
insert, is never counted and never emailed, and its sender gets the answer anyone gets.
Settings: SIGN_LIMIT_* and DISPOSABLE_DOMAINS (docs/trust.md, "Fraud limits").
"""

from django.conf import settings
from django.utils.crypto import salted_hmac

from lib.addresses import MAJOR_DOMAINS, key_domain
from lib.disposable import is_disposable
from lib.ratelimit import window_hit

NETWORK_LIMIT = "network limit"
DOMAIN_LIMIT = "domain limit"
PETITION_CEILING = "petition ceiling"
DISPOSABLE_DOMAIN = "disposable domain"


def signature_flag_reason(*, petition_id: int, email_key: str, network: str) -> str:
    """Why a signature about to be stored is fraudulent ("" when it is not).

    `network` is the keyed hash of the client's network (signing.network_key), so the
    cache never holds a prefix; `email_key` is the canonical key, so the domain counted is
    the provider's own (googlemail.com counts as gmail.com). Every enabled counter is
    counted whatever the others said.
    """
    domain = key_domain(email_key)
    reasons = []
    if _over(f"sign:net:{petition_id}:{network}", *_network_limit(network)):
        reasons.append(NETWORK_LIMIT)
    if _over(f"sign:dom:{petition_id}:{_domain_hash(domain)}", *_domain_limit(domain)):
        reasons.append(DOMAIN_LIMIT)
    ceiling = settings.SIGN_LIMIT_PETITION, settings.SIGN_LIMIT_PETITION_WINDOW
    if _over(f"sign:pet:{petition_id}", *ceiling):
        reasons.append(PETITION_CEILING)
    if settings.DISPOSABLE_DOMAINS == "flag" and is_disposable(domain):
        reasons.append(DISPOSABLE_DOMAIN)
    return ", ".join(reasons)


def _over(key: str, limit: int, window: int, counted: bool | None = None) -> bool:
    if not (limit if counted is None else counted):
        return False
    return window_hit(key, window=window) > limit > 0


def _network_limit(network: str) -> tuple[int, int]:
    # A request with no client address (a local script) is counted but never over.
    limit = settings.SIGN_LIMIT_NETWORK
    if not network and limit:
        window_hit("sign:net:none", window=settings.SIGN_LIMIT_NETWORK_WINDOW)
        return 0, 1
    return limit, settings.SIGN_LIMIT_NETWORK_WINDOW


def _domain_limit(domain: str) -> tuple[int, int, bool]:
    # Every domain is counted while either domain limit is on, so the same work is done
    # whatever the domain, and a limit switched on mid-spike knows the spike.
    major = domain in MAJOR_DOMAINS
    limit = settings.SIGN_LIMIT_MAJOR_DOMAIN if major else settings.SIGN_LIMIT_DOMAIN
    counted = bool(settings.SIGN_LIMIT_DOMAIN or settings.SIGN_LIMIT_MAJOR_DOMAIN)
    return limit, settings.SIGN_LIMIT_DOMAIN_WINDOW, counted


def _domain_hash(domain: str) -> str:
    # A domain can name a person (their own); the cache keeps a keyed hash of it.
    return salted_hmac("chorus.petitions.domain", domain, algorithm="sha256").hexdigest()[:24]
