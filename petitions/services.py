"""What happens to petitions and signatures. Every entry point calls these."""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from jobs.models import Job
from jobs.services import job_record
from lib.clientip import client_ip, ip_fingerprint
from lib.emails import email_key
from lib.writelock import grouped_write
from members.consent import OPT_IN_WORDING_VERSION
from petitions.models import MailAllowance, Petition, Signature, SignatureEvent, new_public_code

# The one job every sign POST records, new signature or repeat alike.
SIGNATURE_SUBMITTED = "signature_submitted"
# A confirmation link asked for again through the resend form.
SEND_CONFIRMATION = "send_confirmation"
# A signature whose address was proven: its signer becomes a member.
SIGNATURE_CONFIRMED = "signature_confirmed"
# A link sent again keeps its token and is valid for CONFIRMATION_TOKEN_DAYS from
# that email; the expiry is only moved when it would gain more than this.
LINK_EXTEND_STEP = timedelta(hours=1)


class PetitionClosed(Exception):
    pass


class SignResult:
    """What signing did: `created` a signature, or met the live one already there.

    Neither the sign view nor the request needs more: the model instance is only
    built (or, for a repeat, read) when asked for.
    """

    def __init__(self, created: bool, signature_id: int, *, petition: Petition, values=None):
        self.created = created
        self.signature_id = signature_id
        self._petition = petition
        self._values = values  # column values by attname of a new signature
        self._signature: Signature | None = None

    @property
    def signature(self) -> Signature:
        if self._signature is None and self._values is not None:
            fields = {k: v for k, v in self._values.items() if k != "petition_id"}
            self._signature = Signature(pk=self.signature_id, petition=self._petition, **fields)
            self._signature._state.adding = False
        elif self._signature is None:
            self._signature = Signature.objects.get(pk=self.signature_id)
        return self._signature


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def confirmation_token(nonce: str) -> str:
    """The secret in a confirmation link, derived from the row's nonce and SECRET_KEY.

    The row keeps only the nonce and the hash the link is checked against: neither a
    backup, nor staff, nor the job ledger holds anything that confirms without the
    server's key. The worker derives the link again when it sends the email.
    """
    digest = salted_hmac("chorus.petitions.confirmation", nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_link() -> dict:
    nonce = secrets.token_urlsafe(16)
    return {
        "token_nonce": nonce,
        "token_hash": token_hash(confirmation_token(nonce)),
        "token_expires_at": timezone.now() + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS),
    }


def network_key(ip_prefix: str) -> str:
    """The client's network, as the job ledger keeps it: a keyed hash, never the prefix."""
    if not ip_prefix:
        return ""
    return salted_hmac("chorus.petitions.network", ip_prefix, algorithm="sha256").hexdigest()[:32]


def signature_create(
    *, petition: Petition, data: dict, request_meta: dict, language: str = "", _retry: bool = True
) -> SignResult:
    """Sign a petition with validated form data.

    One live signature per petition and email key is held by a partial unique
    constraint. Whether this address has signed already is not looked at here: a
    new signature and a repeat do the same work in the request (one statement on
    PostgreSQL, the same three in one grouped commit on SQLite), each records one
    `signature_submitted` job of the same shape, and the worker decides what to
    send. So neither the answer nor its timing tells anyone whether an address signed.
    """
    if not petition.is_open:
        raise PetitionClosed(petition.slug)
    ip_hash, ip_prefix = ip_fingerprint(client_ip(request_meta))
    confirmed = not petition.require_confirmation
    now = timezone.now()
    _, defaults = _signature_columns()
    values = {
        **defaults,
        "code": new_public_code(),
        "petition_id": petition.pk,
        "email": data["email"],
        "email_key": email_key(data["email"]),
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "country": data["country"],
        "postcode": data.get("postcode", ""),
        "comment": data.get("comment", ""),
        "show_name": bool(data.get("show_name")),
        "opt_in": bool(data.get("opt_in")),
        "opt_in_wording_version": OPT_IN_WORDING_VERSION if data.get("opt_in") else "",
        "channel": data.get("channel", ""),
        "language": language[:10],
        "ip_hash": ip_hash,
        "ip_prefix": ip_prefix,
        "state": Signature.State.CONFIRMED if confirmed else Signature.State.PENDING,
        "confirmed_at": now if confirmed else None,
        "count_dirty": confirmed,
        "created_at": now,
    }
    if not confirmed:
        values.update(_new_link())
    created, signature_id = _insert_with_job(values, {"net": network_key(ip_prefix)})
    if signature_id is None and _retry:
        # A live row the statement could not see yet (committed by a concurrent
        # signature meanwhile), or one that left the live states: once more.
        return signature_create(
            petition=petition,
            data=data,
            request_meta=request_meta,
            language=language,
            _retry=False,
        )
    if signature_id is None:
        raise IntegrityError("signature conflicts but no live signature was found")
    return SignResult(created, signature_id, petition=petition, values=values if created else None)


@lru_cache(maxsize=1)
def _signature_columns() -> tuple[list, dict]:
    """The signature's columns, and the default of each that signing does not set."""
    fields = [f for f in Signature._meta.concrete_fields if not f.primary_key]
    defaults = {
        f.attname: f.get_default()
        for f in fields
        if not (f.has_default() and callable(f.default))  # such as the code: one per row
    }
    return fields, defaults


def _insert_with_job(values: dict, job_extra: dict) -> tuple[bool, int | None]:
    """Insert the signature unless a live one has its key, and its job either way.

    Returns whether it was inserted, and the live signature's id (None only when a
    conflicting row could not be seen). On PostgreSQL this is one statement, so one
    round trip and one commit; on SQLite three prepared statements in one short
    transaction, grouped with other signers'. Both skip the ORM's per-save
    compilation, which was most of a signature's CPU.
    """
    if connection.vendor == "postgresql":
        return _insert_with_job_one_statement(values, job_extra)
    if connection.vendor == "sqlite":
        return _insert_with_job_sqlite(values, job_extra)
    return _insert_with_job_orm(values, job_extra)


# The job row written with every signature, due at once.
_JOB_INSERT = (
    f"INSERT INTO {Job._meta.db_table} "
    "(kind, payload, state, run_after, attempts, last_error, created_at)"
)
# The live signature with the same key: the same index probe for a new signature
# (which finds nothing) as for a repeat.
_LIVE_SIGNATURE = (
    f"SELECT id FROM {Signature._meta.db_table} "
    "WHERE petition_id = %s AND email_key = %s AND state IN ('pending', 'confirmed')"
)


@lru_cache(maxsize=1)
def _signature_insert_sql() -> str:
    """One signature row; nothing on a repeat of a live one; its id when inserted."""
    fields, _ = _signature_columns()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    return f"""
        INSERT INTO {Signature._meta.db_table} ({columns}) VALUES ({placeholders})
        ON CONFLICT (petition_id, email_key) WHERE state IN ('pending', 'confirmed')
        DO NOTHING
        RETURNING id
    """


def _insert_with_job_sqlite(values, job_extra) -> tuple[bool, int | None]:
    """The three statements, committed together with what other threads queued meanwhile.

    SQLite makes each commit wait for its own fsync, one writer at a time; grouping
    the signatures of one moment into one commit is what lets it take a spike. Each
    caller returns only once the commit holding its rows is durable. Inside the
    write turn nothing else writes, so the live row looked up first is the one the
    insert would conflict with.
    """
    fields, _ = _signature_columns()
    params = [f.get_db_prep_save(values[f.attname], connection) for f in fields]
    live_params = [values["petition_id"], values["email_key"]]
    insert_signature = _signature_insert_sql()
    insert_job = f"{_JOB_INSERT} VALUES (%s, %s, 'due', %s, 0, '', %s)"

    def insert() -> tuple[bool, int | None]:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_LIVE_SIGNATURE, live_params)
            live = cursor.fetchone()
            cursor.execute(insert_signature, params)
            new = cursor.fetchone()
            signature_id = new[0] if new else live[0] if live else None
            payload = {"signature": signature_id, "created": new is not None, **job_extra}
            cursor.execute(insert_job, [SIGNATURE_SUBMITTED, json.dumps(payload), now, now])
        return new is not None, signature_id

    return grouped_write(insert)


@lru_cache(maxsize=1)
def _one_statement_sql() -> str:
    return f"""
        WITH new_signature AS ({_signature_insert_sql()}),
        live AS ({_LIVE_SIGNATURE})
        {_JOB_INSERT}
        SELECT %s,
            jsonb_build_object(
                'signature', COALESCE(new_signature.id, live.id),
                'created', new_signature.id IS NOT NULL
            ) || %s::jsonb,
            'due', %s, 0, '', %s
        FROM (SELECT 1) AS one
        LEFT JOIN new_signature ON TRUE
        LEFT JOIN live ON TRUE
        RETURNING (payload ->> 'created')::boolean, (payload ->> 'signature')::bigint
    """


def _insert_with_job_one_statement(values, job_extra) -> tuple[bool, int | None]:
    """The sign path's one statement, sent with server-side binding.

    Django's psycopg cursors quote every parameter into the query text, which for
    this 30-parameter statement was a tenth of the request's CPU, and PostgreSQL
    then parses and plans it afresh each time. A plain psycopg cursor sends the
    values apart, and psycopg prepares the statement on each pooled connection
    once it has run a few times there (DATABASE_PREPARE_THRESHOLD; "none" behind a
    pooler that cannot keep prepared statements).
    Every column is a plain value psycopg adapts itself: no field converts.

    The live row is read from the statement's snapshot: a repeat of a signature
    committed while this statement waited on its conflict finds none, and
    signature_create tries once more.
    """
    fields, _ = _signature_columns()
    sql = _one_statement_sql()
    now = timezone.now()
    params = [values[f.attname] for f in fields]
    params += [values["petition_id"], values["email_key"]]
    params += [SIGNATURE_SUBMITTED, json.dumps(job_extra), now, now]
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        created, signature_id = cursor.fetchone()
    return created, signature_id


def _insert_with_job_orm(values, job_extra) -> tuple[bool, int | None]:
    """Other databases: the same rows through the ORM."""
    signature = Signature(**values)
    with transaction.atomic():
        live = _live_signature_id(values["petition_id"], values["email_key"])
        created = live is None
        if created:
            signature.save(force_insert=True)
            live = signature.pk
        payload = {"signature": live, "created": created, **job_extra}
        job_record(kind=SIGNATURE_SUBMITTED, payload=payload)
    return created, live


def _live_signature_id(petition_id: int, key: str, states=None) -> int | None:
    return (
        Signature.objects.filter(
            petition_id=petition_id, email_key=key, state__in=states or Signature.LIVE_STATES
        )
        .values_list("pk", flat=True)
        .first()
    )


def signature_resend_confirmation(*, petition: Petition, email: str, request_meta: dict) -> None:
    """Ask the worker to send a pending signer their link again.

    The same work for any address, pending, confirmed or unknown: one lookup and
    one job row; the worker sends only to a pending signature, within the mail
    ceiling, and nothing tells the requester which it was.
    """
    key = email_key(email)
    _, ip_prefix = ip_fingerprint(client_ip(request_meta))
    net = network_key(ip_prefix)

    def record() -> None:
        pending = _live_signature_id(petition.pk, key, [Signature.State.PENDING])
        job_record(kind=SEND_CONFIRMATION, payload={"signature": pending, "net": net})

    grouped_write(record)


def signature_confirmation_token(*, signature: Signature) -> str | None:
    """The token for a confirmation link about to be emailed; None once not pending.

    The current token while it is valid, so a link the owner was already sent
    keeps working; a new one once it has expired (or was made under another
    SECRET_KEY, or by older code that stored no nonce). Valid for
    CONFIRMATION_TOKEN_DAYS from this email either way. Run by the worker, only
    once the mail ceiling has let the email through.
    """
    now = timezone.now()
    expires = now + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS)
    unchanged = Signature.objects.filter(
        pk=signature.pk, state=Signature.State.PENDING, token_hash=signature.token_hash
    )
    token = confirmation_token(signature.token_nonce) if signature.token_nonce else ""
    valid = signature.token_expires_at is not None and signature.token_expires_at > now
    if token and valid and token_hash(token) == signature.token_hash:
        if expires - signature.token_expires_at > LINK_EXTEND_STEP:
            grouped_write(lambda: unchanged.update(token_expires_at=expires), urgent=False)
        return token
    link = _new_link()
    if not grouped_write(lambda: unchanged.update(**link), urgent=False):
        return None  # confirmed, invalidated or erased meanwhile
    return confirmation_token(link["token_nonce"])


def signature_for_token(token: str) -> Signature | None:
    """The pending signature this unexpired link confirms, if any."""
    if not token or len(token) > 100:
        return None
    return (
        Signature.objects.select_related("petition")
        .filter(
            token_hash=token_hash(token),
            token_expires_at__gt=timezone.now(),
            state=Signature.State.PENDING,
        )
        .first()
    )


def signature_confirm(*, token: str) -> Signature | None:
    """Confirm the signature behind a link. The link works once."""
    signature = signature_for_token(token)
    if signature is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        # State and token again: the link may have been replaced, or the signature
        # invalidated, since it was looked up.
        changed = Signature.objects.filter(
            pk=signature.pk, state=Signature.State.PENDING, token_hash=signature.token_hash
        ).update(
            state=Signature.State.CONFIRMED,
            confirmed_at=now,
            token_nonce="",
            token_hash="",
            token_expires_at=None,
            count_dirty=True,
        )
        if not changed:
            return None
        SignatureEvent.objects.create(
            signature=signature, from_state="pending", to_state="confirmed", note="email link"
        )
        job_record(kind=SIGNATURE_CONFIRMED, payload={"signature": signature.pk})
    signature.refresh_from_db()
    return signature


# --- The mail ceiling ------------------------------------------------------------------


@dataclass(frozen=True)
class _Ceiling:
    interval: timedelta  # at least this long between two emails
    per_window: int  # at most this many emails ...
    window: timedelta  # ... in a window this long from its first


def _ceilings(address: str, network: str) -> dict[str, _Ceiling]:
    ceilings = {
        _allowance_key("address", address): _Ceiling(
            timedelta(seconds=settings.UNVERIFIED_MAIL_INTERVAL),
            settings.UNVERIFIED_MAIL_PER_DAY,
            timedelta(days=1),
        )
    }
    if network and settings.UNVERIFIED_MAIL_PER_NETWORK_HOUR:
        ceilings[_allowance_key("network", network)] = _Ceiling(
            timedelta(), settings.UNVERIFIED_MAIL_PER_NETWORK_HOUR, timedelta(hours=1)
        )
    return ceilings


def _allowance_key(kind: str, value: str) -> str:
    return salted_hmac(f"chorus.petitions.mail.{kind}", value, algorithm="sha256").hexdigest()


@dataclass
class MailPermit:
    """The mail ceiling's answer: `granted`, or held (until `retry_at`, if ever)."""

    granted: bool
    retry_at: datetime | None = None
    # What each allowance was before this permit took from it, to give it back.
    taken: list = field(default_factory=list)


def _held_until(allowance: MailAllowance, ceiling: _Ceiling, now: datetime) -> datetime | None:
    waits = []
    if allowance.last_sent_at and allowance.last_sent_at + ceiling.interval > now:
        waits.append(allowance.last_sent_at + ceiling.interval)
    window_ends = allowance.window_started_at + ceiling.window
    if window_ends > now and allowance.sent_in_window >= ceiling.per_window:
        waits.append(window_ends)
    return max(waits, default=None)


_ALLOWANCE_FIELDS = ["last_sent_at", "window_started_at", "sent_in_window"]


def unverified_mail_permit(*, email_key: str, network: str = "") -> MailPermit:
    """May one more email go to this unverified address now? If so, it is counted.

    Every email to an address nobody has proven to own asks here first (through
    petitions.emails.unverified_mail_send): at most one every
    UNVERIFIED_MAIL_INTERVAL seconds and UNVERIFIED_MAIL_PER_DAY a day per email
    key, whichever path sends it, and at most UNVERIFIED_MAIL_PER_NETWORK_HOUR an
    hour caused from one client network (`network`, from network_key()). Both are
    taken together or not at all, in the database, so the ceiling is one across
    processes and machines. `retry_at` says when the address may have mail again;
    a mail held by its network has none.
    """
    ceilings = _ceilings(email_key, network)
    address = next(iter(ceilings))

    def take() -> MailPermit:
        now = timezone.now()
        MailAllowance.objects.bulk_create(
            [MailAllowance(key=key, window_started_at=now) for key in sorted(ceilings)],
            ignore_conflicts=True,
        )
        allowances = list(
            MailAllowance.objects.select_for_update().filter(key__in=ceilings).order_by("key")
        )
        held = {a.key: _held_until(a, ceilings[a.key], now) for a in allowances}
        if any(held.values()):
            network_held = any(until for key, until in held.items() if key != address)
            return MailPermit(False, None if network_held else held[address])
        taken = []
        for allowance in allowances:
            taken.append((allowance.key, now, [getattr(allowance, f) for f in _ALLOWANCE_FIELDS]))
            if allowance.window_started_at + ceilings[allowance.key].window <= now:
                allowance.window_started_at, allowance.sent_in_window = now, 0
            allowance.sent_in_window += 1
            allowance.last_sent_at = now
            allowance.save(update_fields=_ALLOWANCE_FIELDS)
        return MailPermit(True, taken=taken)

    return grouped_write(take, urgent=False)


def unverified_mail_permit_return(*, permit: MailPermit) -> None:
    """Give back what a permit took, when its email could not be sent after all.

    Only while nothing else has taken from the allowance since, so a returned
    permit never lets more through than the ceiling.
    """

    def give_back() -> None:
        for key, taken_at, before in permit.taken:
            MailAllowance.objects.filter(key=key, last_sent_at=taken_at).update(
                **dict(zip(_ALLOWANCE_FIELDS, before, strict=True))
            )

    if permit.taken:
        grouped_write(give_back, urgent=False)


def mail_allowances_prune() -> int:
    """Forget allowances no ceiling looks at any more (every window is at most a day)."""
    cutoff = timezone.now() - timedelta(days=2)
    stale = MailAllowance.objects.filter(window_started_at__lt=cutoff)
    deleted, _ = stale.exclude(last_sent_at__gte=cutoff).delete()
    return deleted


def signature_set_state(*, signature: Signature, state: str, by=None, note: str = "") -> None:
    """Move a signature to a new state (staff actions); the counts follow."""
    with transaction.atomic():
        current = Signature.objects.select_for_update().get(pk=signature.pk)
        if current.state == state:
            return
        Signature.objects.filter(pk=current.pk).update(
            state=state,
            count_dirty=True,
            confirmed_at=current.confirmed_at
            or (timezone.now() if state == Signature.State.CONFIRMED else None),
        )
        SignatureEvent.objects.create(
            signature=current, from_state=current.state, to_state=state, by=by, note=note[:300]
        )


def petition_publish(*, petition: Petition, by=None) -> None:
    Petition.objects.filter(pk=petition.pk).update(
        status=Petition.Status.OPEN,
        published_at=petition.published_at or timezone.now(),
        closed_at=None,
        version=petition.version + 1,
    )
    petition.refresh_from_db()


def petition_close(*, petition: Petition, won: bool = False, by=None) -> None:
    Petition.objects.filter(pk=petition.pk).update(
        status=Petition.Status.WON if won else Petition.Status.CLOSED,
        closed_at=timezone.now(),
        version=petition.version + 1,
    )
    petition.refresh_from_db()
