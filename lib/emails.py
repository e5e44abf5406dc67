"""Email addresses: validation without network lookups, and the canonical key."""

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

# Bump when the rule changes; keys carry their version so old and new never collide.
EMAIL_KEY_VERSION = 1

# Providers known to ignore dots in the local part.
DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}


class InvalidEmail(ValueError):
    pass


@lru_cache(maxsize=4096)
def email_normalise(address: str) -> str:
    """A valid address in the form people typed it, with the domain normalised.

    Cached: the form and the canonical key both ask, and validation is not free.
    """
    try:
        # strict: also the 64-character limit before the @, which mail servers enforce.
        result = validate_email(address, check_deliverability=False, strict=True)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return result.normalized


def email_key(address: str) -> str:
    """The canonical key that says two addresses reach the same person.

    Version 1: lower-case everything, drop a +tag, drop dots for providers that
    ignore them, and fold domain aliases.
    """
    local, _, domain = email_normalise(address).rpartition("@")
    local, domain = local.lower(), domain.lower()
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.split("+", 1)[0] or local
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{EMAIL_KEY_VERSION}:{local}@{domain}"
