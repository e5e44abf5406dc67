"""What happens to petitions and signatures. Every entry point calls these."""

import hashlib
import json
import secrets
from datetime import timedelta
from functools import lru_cache

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from jobs.models import Job
from jobs.services import job_record
from jobs.wake import wake_workers
from lib.clientip import client_ip, ip_fingerprint
from lib.emails import email_key
from lib.writelock import grouped_write
from members.consent import OPT_IN_WORDING_VERSION
from petitions.models import Petition, Signature, SignatureEvent, new_public_code

REPEAT_NOTICE_INTERVAL = timedelta(minutes=10)


class PetitionClosed(Exception):
    pass


class SignResult:
    """What signing did: `created` or found the live signature already there.

    A new signature's model instance is only built when asked for: the sign view
    needs nothing but its code, and building a 30-field instance on every
    signature was a twelfth of the request's CPU.
    """

    def __init__(self, created: bool, signature: Signature | None = None, *, row=None):
        self.created = created
        self._signature = signature
        self._row = row  # (petition, pk, column values by attname) of a new signature

    @property
    def code(self) -> str:
        return self._row[2]["code"] if self._row else self.signature.code

    @property
    def signature(self) -> Signature:
        if self._signature is None:
            petition, pk, values = self._row
            fields = {k: v for k, v in values.items() if k != "petition_id"}
            self._signature = Signature(pk=pk, petition=petition, **fields)
            self._signature._state.adding = False
        return self._signature


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def signature_create(
    *, petition: Petition, data: dict, request_meta: dict, language: str = "", _retry: bool = True
) -> SignResult:
    """Sign a petition with validated form data.

    One live signature per petition and email key is held by a partial unique
    constraint; a repeat is answered with the existing signature, and its
    owner is emailed instead of getting a second row.
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
    if confirmed:
        job_kind, job_payload = "signature_confirmed", {}
    else:
        token, values["token_hash"] = _new_token()
        values["token_expires_at"] = now + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS)
        job_kind, job_payload = "send_confirmation", {"token": token}
    pk = _insert_with_job(values, job_kind, job_payload)
    if pk is not None:
        wake_workers()
        return SignResult(True, row=(petition, pk, values))
    existing = _live_signature(petition, values["email_key"])
    if existing is None and _retry:  # the other row left the live states meanwhile
        return signature_create(
            petition=petition,
            data=data,
            request_meta=request_meta,
            language=language,
            _retry=False,
        )
    if existing is None:
        raise IntegrityError("signature conflicts but no live signature was found")
    signature_notify_repeat(signature=existing)
    return SignResult(False, existing)


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


def _insert_with_job(values: dict, job_kind: str, job_payload: dict) -> int | None:
    """Insert the signature and its first job atomically: its id, or None if it
    repeats a live signature.

    On PostgreSQL this is one statement, so one round trip and one commit; on SQLite
    two prepared statements in one short IMMEDIATE transaction. Both skip the ORM's
    per-save compilation, which was most of a signature's CPU.
    """
    if connection.vendor == "postgresql":
        return _insert_with_job_one_statement(values, job_kind, job_payload)
    if connection.vendor == "sqlite":
        return _insert_with_job_sqlite(values, job_kind, job_payload)
    signature = Signature(**values)
    try:
        with transaction.atomic():
            signature.save(force_insert=True)
            job_record(kind=job_kind, payload={"signature": signature.pk, **job_payload})
    except IntegrityError:
        if _live_signature(signature.petition, signature.email_key) is None:
            raise  # some other constraint: not a repeat
        return None
    return signature.pk


# The job row written with a new signature, due at once.
_JOB_INSERT = (
    f"INSERT INTO {Job._meta.db_table} "
    "(kind, payload, state, run_after, attempts, last_error, created_at)"
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


def _insert_with_job_sqlite(values, job_kind, job_payload) -> int | None:
    """Both inserts, committed together with the signatures other threads queued meanwhile.

    SQLite makes each commit wait for its own fsync, one writer at a time; grouping
    the signatures of one moment into one commit is what lets it take a spike. Each
    caller returns only once the commit holding its row is durable.
    """
    fields, _ = _signature_columns()
    params = [f.get_db_prep_save(values[f.attname], connection) for f in fields]
    insert_signature = _signature_insert_sql()
    insert_job = f"{_JOB_INSERT} VALUES (%s, %s, 'due', %s, 0, '', %s)"
    payload = {"signature": None, **job_payload}

    def insert() -> int | None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(insert_signature, params)
            row = cursor.fetchone()
            if row is None:
                return None
            payload["signature"] = row[0]
            cursor.execute(insert_job, [job_kind, json.dumps(payload), now, now])
        return row[0]

    return grouped_write(insert)


@lru_cache(maxsize=1)
def _one_statement_sql() -> str:
    return f"""
        WITH new_signature AS ({_signature_insert_sql()})
        {_JOB_INSERT}
        SELECT %s, jsonb_build_object('signature', id) || %s::jsonb, 'due', %s, 0, '', %s
        FROM new_signature
        RETURNING (payload ->> 'signature')::bigint
    """


def _insert_with_job_one_statement(values, job_kind, job_payload) -> int | None:
    """The sign path's one statement, sent with server-side binding.

    Django's psycopg cursors quote every parameter into the query text, which for
    this 30-parameter statement was a tenth of the request's CPU, and PostgreSQL
    then parses and plans it afresh each time. A plain psycopg cursor sends the
    values apart, and psycopg prepares the statement on each pooled connection
    once it has run a few times there (DATABASE_PREPARE_THRESHOLD; "none" behind a
    pooler that cannot keep prepared statements).
    Every column is a plain value psycopg adapts itself: no field converts.
    """
    fields, _ = _signature_columns()
    sql = _one_statement_sql()
    now = timezone.now()
    params = [values[f.attname] for f in fields]
    params += [job_kind, json.dumps(job_payload), now, now]
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def _live_signature(petition: Petition, key: str) -> Signature | None:
    return Signature.objects.filter(
        petition=petition, email_key=key, state__in=Signature.LIVE_STATES
    ).first()


def signature_notify_repeat(*, signature: Signature) -> None:
    """Tell the address's owner they already signed (with a fresh link if pending).

    At most one such email per signature every REPEAT_NOTICE_INTERVAL, so
    nobody can flood a stranger's inbox by submitting their address again.
    """
    now = timezone.now()
    quiet = Q(repeat_notice_at__isnull=True) | Q(repeat_notice_at__lt=now - REPEAT_NOTICE_INTERVAL)
    with transaction.atomic():
        if not Signature.objects.filter(quiet, pk=signature.pk).update(repeat_notice_at=now):
            return
        payload = {"signature": signature.pk}
        if signature.state == Signature.State.PENDING:
            payload["token"] = _signature_refresh_token(signature)
        job_record(kind="send_already_signed", payload=payload)


def _signature_refresh_token(signature: Signature) -> str:
    token, hashed = _new_token()
    expires = timezone.now() + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS)
    Signature.objects.filter(pk=signature.pk).update(token_hash=hashed, token_expires_at=expires)
    return token


def signature_resend_confirmation(*, petition: Petition, email: str) -> None:
    """Send a new confirmation link to a pending signer; silently nothing otherwise."""
    signature = _live_signature(petition, email_key(email))
    if signature is None or signature.state != Signature.State.PENDING:
        return
    with transaction.atomic():
        token = _signature_refresh_token(signature)
        job_record(kind="send_confirmation", payload={"signature": signature.pk, "token": token})


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
        changed = Signature.objects.filter(
            pk=signature.pk, state=Signature.State.PENDING, token_hash=signature.token_hash
        ).update(
            state=Signature.State.CONFIRMED,
            confirmed_at=now,
            token_hash="",
            token_expires_at=None,
            count_dirty=True,
        )
        if not changed:
            return None
        SignatureEvent.objects.create(
            signature=signature, from_state="pending", to_state="confirmed", note="email link"
        )
        job_record(kind="signature_confirmed", payload={"signature": signature.pk})
    signature.refresh_from_db()
    return signature


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
