"""Email addresses: validation without network lookups, and the canonical key."""

from typing import NamedTuple

import idna
from django.conf import settings
from email_validator import EmailNotValidError, validate_email

# The canonical key's rule, versioned: bump it when the rule changes. Keys carry their
# version ("2:ada@example.org"), so keys of two rules never compare equal, and
# `manage.py chorus_email_keys` moves stored keys to the current rule.
EMAIL_KEY_VERSION = 2


class Provider(NamedTuple):
    """How one mail provider reads the local part of its addresses."""

    domain: str  # the domain every alias folds to
    plus_tags: bool  # "ada+news" reaches "ada"
    transparent: str  # characters the provider ignores ("." at Gmail)


GMAIL = Provider("gmail.com", plus_tags=True, transparent=".")
PROTON = Provider("proton.me", plus_tags=True, transparent="._-")
APPLE = Provider("icloud.com", plus_tags=True, transparent="")
PROVIDERS: dict[str, Provider] = {
    "gmail.com": GMAIL,
    "googlemail.com": GMAIL,
    # Proton: ".", "_" and "-" are "transparent" in a username, and every Proton domain
    # reaches the same account (proton.me/support/change-username).
    **dict.fromkeys(["proton.me", "protonmail.com", "protonmail.ch", "pm.me"], PROTON),
    # An Apple ID's mail name is the same at all three domains.
    **dict.fromkeys(["icloud.com", "me.com", "mac.com"], APPLE),
    # Microsoft's and Fastmail's domains are separate mailboxes (user@hotmail.com and
    # user@outlook.com may be two people), so each keeps its own domain.
    **{
        domain: Provider(domain, plus_tags=True, transparent="")
        for domain in [
            *("outlook.com", "outlook.fr", "outlook.de", "outlook.es", "outlook.it"),
            *("hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it"),
            *("hotmail.es", "live.com", "live.co.uk", "live.fr", "live.de", "live.nl"),
            *("live.it", "msn.com", "fastmail.com", "fastmail.fm"),
        ]
    },
}
# Yahoo's disposable addresses ("base-keyword@yahoo.com") take a base name that is not
# the account's own, so folding them would not name the person: Yahoo is left as typed.

# The providers most people use: the per-domain fraud limit gives them their own threshold
# (SIGN_LIMIT_MAJOR_DOMAIN), since their share of any petition's signers follows its size.
MAJOR_DOMAINS = frozenset(
    {
        *PROVIDERS,
        *("yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "aol.com", "gmx.de"),
        *("gmx.net", "gmx.com", "web.de", "t-online.de", "orange.fr", "free.fr"),
        *("laposte.net", "sfr.fr", "btinternet.com", "comcast.net", "yandex.ru"),
        *("mail.ru", "qq.com", "163.com", "naver.com", "libero.it", "virgilio.it"),
    }
)


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
    once. Version 2: the domain lower-cased and in its ASCII (A-label) form; at the
    providers in PROVIDERS the domain folded to the provider's own, the local part
    lower-cased, a +tag dropped and the characters the provider ignores taken out;
    elsewhere the local part lower-cased and otherwise kept (a +tag may be a mailbox of
    its own there). It does not ask whether the mailer can deliver the address: a key
    names a person, whatever server sends to them.
    """
    local, _, domain = normalised.rpartition("@")
    return f"{EMAIL_KEY_VERSION}:{_canonical(local.lower(), email_domain_key(domain))}"


def _canonical(local: str, domain: str) -> str:
    provider = PROVIDERS.get(domain)
    if provider is None or local.startswith('"'):  # inside quotes every character counts
        return f"{local}@{domain}"
    if provider.plus_tags:
        local = local.split("+", 1)[0] or local
    for character in provider.transparent:
        local = local.replace(character, "")
    return f"{local or '_'}@{provider.domain}"


def email_domain_key(domain: str) -> str:
    """A domain as keys carry it: lower case, internationalised names as their A-label."""
    domain = domain.lower().rstrip(".")
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:  # validated addresses do not get here; keep it as typed
        return domain


def key_domain(email_key: str) -> str:
    """The domain part of a key ("2:ada@gmail.com" -> "gmail.com")."""
    return email_key.rpartition("@")[2]
