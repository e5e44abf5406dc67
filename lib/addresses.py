"""Email addresses: validation without network lookups, and the canonical key."""

from django.conf import settings
from email_validator import EmailNotValidError, validate_email

# Bump when the rule changes; keys carry their version so old and new never collide.
EMAIL_KEY_VERSION = 1

# Providers known to ignore dots in the local part.
DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}


class InvalidEmail(ValueError):
    pass


class UndeliverableEmail(InvalidEmail):
    """A valid address the configured mail server cannot send to as typed."""


def email_normalise(address: str) -> str:
    """A valid address the mailer can deliver, as people typed it, with the domain normalised.

    Internationalised domains are welcome (Django's mailer sends them as punycode); a
    local part beyond ASCII needs a mail server that speaks SMTPUTF8 (EMAIL_SMTPUTF8):
    without it the address would be mangled on the way out, so it is refused here.
    """
    return _validated(address, smtputf8=settings.EMAIL_SMTPUTF8)


def _validated(address: str, *, smtputf8: bool) -> str:
    # No cache in front of this: an address typed recently would validate faster than
    # a new one, which would tell a stranger timing the form who has just signed.
    try:
        # strict: also the 64-character limit before the @, which mail servers enforce.
        # Quoted local parts ("ada lovelace"@example.org) are rare but valid, and
        # email-validator drops quotes that are not needed.
        result = validate_email(
            address,
            check_deliverability=False,
            strict=True,
            allow_quoted_local=True,
            allow_smtputf8=True,
        )
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    if result.smtputf8 and not smtputf8:
        raise UndeliverableEmail("the local part needs SMTPUTF8")
    return result.normalized


def email_key(address: str) -> str:
    """The canonical key of an address not yet validated (see normalised_email_key)."""
    return normalised_email_key(_validated(address, smtputf8=True))


def normalised_email_key(normalised: str) -> str:
    """The canonical key that says two addresses reach the same person.

    Takes an address email_normalise() returned, so a signature validates its address
    once. Version 1: lower-case everything, drop a +tag, drop dots for providers that
    ignore them, and fold domain aliases. It does not ask whether the mailer can
    deliver the address: a key names a person, whatever server sends to them.
    """
    local, _, domain = normalised.rpartition("@")
    local, domain = local.lower(), domain.lower()
    domain = DOMAIN_ALIASES.get(domain, domain)
    if not local.startswith('"'):  # inside quotes, + and . are just characters
        local = local.split("+", 1)[0] or local
        if domain in DOTLESS_DOMAINS:
            local = local.replace(".", "")
    return f"{EMAIL_KEY_VERSION}:{local}@{domain}"
