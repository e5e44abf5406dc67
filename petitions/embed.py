"""The embeddable widget's parts that are not the view: its form token and its partner.

The widget is framed by other sites, where the browser sends none of Chorus's cookies
(SameSite), so its form cannot carry Django's CSRF token. It carries instead a signed,
time-limited token naming the petition, issued with the widget's page (which is the same
for every visitor, so the page cache can keep it) and checked on the POST. docs/widget.md
says why that is enough for a form that signs with nothing but what the person types.
"""

import re

from django.conf import settings
from django.core import signing

from lib.localcache import LocalCache
from partners.models import Partner
from petitions.models import Petition

EMBED_FORM_SALT = "chorus.embed.form"
# The query parameter of the widget's address that names the partner carrying it.
PARTNER_PARAMETER = "partner"
# What a Partner.slug can be: anything else (a NUL byte, which PostgreSQL refuses in a
# query, say) is no partner, without a query.
PARTNER_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")

# Active partners by slug, per web process: a signature through a partner's widget costs
# no extra query; a partner switched off stops tagging within the cache's seconds.
_partners = LocalCache(ttl=settings.PETITION_PAGE_CACHE_SECONDS, max_entries=500)


class EmbedTokenRefused(Exception):
    """The widget's form token is not one Chorus issued for this petition lately."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


def embed_token_make(*, petition: Petition) -> str:
    return signing.dumps(petition.pk, salt=EMBED_FORM_SALT)


def embed_token_check(*, token: str, petition: Petition) -> None:
    """Raise EmbedTokenRefused unless `token` was issued for `petition` within
    EMBED_FORM_TOKEN_SECONDS."""
    try:
        petition_id = signing.loads(
            token, salt=EMBED_FORM_SALT, max_age=settings.EMBED_FORM_TOKEN_SECONDS
        )
    except signing.SignatureExpired:
        raise EmbedTokenRefused("expired") from None
    except signing.BadSignature:
        raise EmbedTokenRefused("invalid") from None
    if petition_id != petition.pk:
        raise EmbedTokenRefused("invalid")


def embed_partner_id(*, slug: str, petition: Petition) -> int | None:
    """The id of the active partner of the petition's organisation at `slug`, or None.

    An unknown, switched-off or malformed slug is ignored, not refused: the person
    signing did nothing wrong, and the signature still counts, untagged.
    """
    if not PARTNER_SLUG.fullmatch(slug):
        return None
    found = _partners.get_or_set(slug, lambda: _active_partner(slug))
    if found is None or found[1] != petition.organisation_id:
        return None
    return found[0]


def _active_partner(slug: str) -> tuple[int, int] | None:
    row = (
        Partner.objects.filter(slug=slug, active=True).values_list("pk", "organisation_id").first()
    )
    return tuple(row) if row else None
