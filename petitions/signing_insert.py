"""The signature insert: one new row (or none, for a repeat) and its job, in one go.

Signing bypasses the ORM's per-save compilation, which was most of a signature's
CPU: the statements are built once, from the models, and reused. Their columns come
from Signature's and Job's own fields and the conflict condition from the model's
one-live-signature constraint, so a new column with a default, or another live
state, reaches the insert without anyone editing it. Both go through Django's
cursor, so query counting, logging and the test tools see them.
"""

import json
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from jobs.models import Job
from lib.writelock import grouped_write
from petitions.models import Signature

LIVE_CONSTRAINT = "one_live_signature_per_email_key"


def signature_insert_with_job(
    *, values: dict, job_kind: str, job_extra: dict
) -> tuple[bool, int | None]:
    """Insert the signature unless a live one has its key, and one job either way.

    `values` holds every signature column by attname. The job's payload is
    `job_extra` plus the live signature's id and whether it was created. Returns
    whether it was inserted, and the live signature's id (None only when a
    conflicting row could not be seen yet).
    """
    if connection.vendor == "postgresql":
        return _one_statement(values, job_kind, job_extra)
    return _sqlite_grouped(values, job_kind, job_extra)


# --- What the statements are built from ----------------------------------------------


def signature_fields() -> list:
    return [f for f in Signature._meta.concrete_fields if not f.primary_key]


def job_fields() -> list:
    return [f for f in Job._meta.concrete_fields if not f.primary_key]


def job_values(*, kind: str, now, fields=None) -> dict:
    """The job row signing records, by attname, except its payload: due at once.

    Columns signing does not know take their default (or NULL, or "" for text); a
    column with none of them stops signing at its first use with a message that names it.
    """
    values = {}
    for f in job_fields() if fields is None else fields:
        if f.attname == "payload":
            continue
        if f.attname == "kind":
            values[f.attname] = kind
        elif f.attname == "run_after" or _stamped_on_save(f):
            values[f.attname] = now
        elif f.has_default() or f.null or f.empty_strings_allowed:
            values[f.attname] = f.get_default()  # as the ORM would store it: NULL or ""
        else:
            raise ImproperlyConfigured(
                f"Job.{f.name} has no default, so signing cannot record its job: "
                "give the column a default (or teach petitions.signing_insert its value)."
            )
    return values


def _stamped_on_save(field) -> bool:
    return getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False)


def live_condition_sql() -> str:
    """The one-live-signature constraint's condition, as SQL with its values inline.

    Inline, because PostgreSQL matches an ON CONFLICT clause to a partial index by
    its predicate, which a bound parameter could not prove.
    """
    constraint = next(c for c in Signature._meta.constraints if c.name == LIVE_CONSTRAINT)
    ((lookup, states),) = constraint.condition.children
    if lookup != "state__in":
        raise ImproperlyConfigured(f"{LIVE_CONSTRAINT}: only a state__in condition is supported")
    column = connection.ops.quote_name(Signature._meta.get_field("state").column)
    literals = ", ".join("'{}'".format(str(state).replace("'", "''")) for state in states)
    return f"{column} IN ({literals})"


def _conflict_columns() -> str:
    constraint = next(c for c in Signature._meta.constraints if c.name == LIVE_CONSTRAINT)
    fields = [Signature._meta.get_field(name) for name in constraint.fields]
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _columns(fields) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


@lru_cache(maxsize=1)
def _live_signature_sql() -> str:
    # The same index probe for a new signature (which finds nothing) as for a repeat.
    return (
        f"SELECT id FROM {Signature._meta.db_table} "
        f"WHERE petition_id = %s AND email_key = %s AND {live_condition_sql()}"
    )


@lru_cache(maxsize=1)
def _signature_insert_sql() -> str:
    """One signature row; nothing on a repeat of a live one; its id when inserted."""
    fields = signature_fields()
    placeholders = ", ".join(["%s"] * len(fields))
    return (
        f"INSERT INTO {Signature._meta.db_table} ({_columns(fields)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({_conflict_columns()}) WHERE {live_condition_sql()} DO NOTHING "
        "RETURNING id"
    )


def _signature_params(values: dict) -> list:
    return [f.get_db_prep_save(values[f.attname], connection) for f in signature_fields()]


def _job_fields_but_payload() -> list:
    return [f for f in job_fields() if f.attname != "payload"]


def _job_params(kind: str, now) -> list:
    """The job's parameters in _job_fields_but_payload() order; the payload is the caller's."""
    fields = _job_fields_but_payload()
    values = job_values(kind=kind, now=now, fields=fields)
    return [f.get_db_prep_save(values[f.attname], connection) for f in fields]


# --- SQLite -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _sqlite_job_insert_sql() -> str:
    fields = _job_fields_but_payload()
    payload = Job._meta.get_field("payload")
    placeholders = ", ".join(["%s"] * (len(fields) + 1))
    return (
        f"INSERT INTO {Job._meta.db_table} ({_columns([*fields, payload])}) "
        f"VALUES ({placeholders})"
    )


def _sqlite_grouped(values: dict, job_kind: str, job_extra: dict) -> tuple[bool, int | None]:
    """Three statements, committed together with what other threads queued meanwhile.

    SQLite makes each commit wait for its own fsync, one writer at a time; grouping
    the signatures of one moment into one commit (lib.writelock.grouped_write) is
    what lets it take a spike. Each caller returns only once the commit holding its
    rows is durable. Inside the write turn nothing else writes, so the live row
    looked up first is the one the insert would conflict with.
    """
    params = _signature_params(values)
    live_params = [values["petition_id"], values["email_key"]]

    def insert() -> tuple[bool, int | None]:
        job_params = _job_params(job_kind, timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_live_signature_sql(), live_params)
            live = cursor.fetchone()
            cursor.execute(_signature_insert_sql(), params)
            new = cursor.fetchone()
            signature_id = new[0] if new else live[0] if live else None
            payload = {"signature": signature_id, "created": new is not None, **job_extra}
            cursor.execute(_sqlite_job_insert_sql(), [*job_params, json.dumps(payload)])
        return new is not None, signature_id

    return grouped_write(insert)


# --- PostgreSQL -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _one_statement_sql() -> str:
    fields = _job_fields_but_payload()
    payload = Job._meta.get_field("payload")
    # Typed: in a SELECT list PostgreSQL would take an untyped NULL or string for text.
    typed = ", ".join(f"%s::{f.cast_db_type(connection)}" for f in fields)
    return f"""
        WITH new_signature AS ({_signature_insert_sql()}),
        live AS ({_live_signature_sql()})
        INSERT INTO {Job._meta.db_table} ({_columns([*fields, payload])})
        SELECT {typed},
            jsonb_build_object(
                'signature', COALESCE(new_signature.id, live.id),
                'created', new_signature.id IS NOT NULL
            ) || %s::jsonb
        FROM (SELECT 1) AS one
        LEFT JOIN new_signature ON TRUE
        LEFT JOIN live ON TRUE
        RETURNING (payload ->> 'created')::boolean, (payload ->> 'signature')::bigint
    """


def _one_statement(values: dict, job_kind: str, job_extra: dict) -> tuple[bool, int | None]:
    """One statement: one round trip and one commit.

    With server-side binding (settings: OPTIONS["server_side_binding"]) the values
    travel apart from the text, and psycopg prepares the statement on each pooled
    connection once it has run a few times there (DATABASE_PREPARE_THRESHOLD).

    The live row is read from the statement's snapshot: a repeat of a signature
    committed while this statement waited on its conflict finds none, and
    signature_create tries once more.
    """
    job_params = _job_params(job_kind, timezone.now())
    # The signature's values as they are: every column is a plain value psycopg adapts
    # itself, and preparing each through its field was a few per cent of the request.
    params = [
        *(values[f.attname] for f in signature_fields()),
        values["petition_id"],
        values["email_key"],
        *job_params,
        json.dumps(job_extra),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_one_statement_sql(), params)
        created, signature_id = cursor.fetchone()
    return created, signature_id
