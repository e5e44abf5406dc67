"""Partner API tokens: made in the staff area, shown once, kept as a SHA-256 hash.

A token reads `chorus_<prefix>_<secret>`. The prefix is random but not secret: it names
the token in the staff area's list so a partner can say which one leaked. The whole
token's SHA-256 is what is stored and looked up (a unique index): a token is a
high-entropy random string, so a plain hash is enough, unlike a password.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from orgs.audit import Action, audit_record, audit_target
from partners.models import Partner

TOKEN_START = "chorus_"  # noqa: S105 - not a secret: every token starts so
# Recording the last use costs a write; once a minute per token is precise enough.
LAST_USED_STEP_SECONDS = 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown once


def api_token_create(*, partner: Partner, name: str, scopes: list[str], by) -> NewToken:
    prefix = secrets.token_hex(4)
    value = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            partner=partner,
            name=name,
            prefix=prefix,
            token_hash=token_hash(value),
            scopes=sorted(set(scopes)),
            created_by=by,
        )
        audit_record(
            by=by,
            action=Action.API_TOKEN_CREATE,
            summary=f"API token {prefix}… made for partner “{partner.name}”",
            target=audit_target(token),
            detail={"partner": partner.pk, "scopes": token.scopes},
        )
    return NewToken(token=token, secret=value)


def api_token_revoke(*, token: ApiToken, by) -> bool:
    """Revoke a token at once; False if it was revoked already."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        if changed:
            audit_record(
                by=by,
                action=Action.API_TOKEN_REVOKE,
                summary=f"API token {token.prefix}… of partner “{token.partner.name}” revoked",
                target=audit_target(token),
                detail={"partner": token.partner_id},
            )
    return bool(changed)


def api_token_authenticate(header: str) -> ApiToken | None:
    """The live token an `Authorization: Bearer …` header carries, its partner active."""
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(TOKEN_START) or len(value) > 200:
        return None
    token = (
        ApiToken.objects.select_related("partner")
        .filter(token_hash=token_hash(value), revoked_at__isnull=True, partner__active=True)
        .first()
    )
    if token is not None:
        _mark_used(token)
    return token


def _mark_used(token: ApiToken) -> None:
    now = timezone.now()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_STEP_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
