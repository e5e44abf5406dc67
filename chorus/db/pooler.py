"""What a PostgreSQL connection needs behind PgBouncer in transaction mode.

PgBouncer hands each transaction (each statement, in autocommit) whichever server
connection is free, so nothing may outlive a transaction on the server side:

* prepared statements: psycopg prepares a statement on the server once it has run a few
  times, and binds parameters server-side; PgBouncer 1.18 (Debian 12) cannot follow either
  to the next server connection. Both off: the client quotes parameters into the text.
* server-side cursors: `.iterator()` in Django declares a holdable cursor, which lives on
  one server connection. Off; exports page by keyset instead (lib/keyset.py).
* psycopg's own pool: PgBouncer pools; a connection per thread kept open is enough.
* session state: Chorus sets nothing at session level (SET LOCAL and transaction-scoped
  advisory locks only, no LISTEN or temporary tables). Django's own `SET TIME ZONE` on
  connecting is skipped when the server already reports UTC, and PgBouncer carries
  TimeZone to every server connection when it does not (it tracks that parameter).

Only this module's checks are loaded by settings (no Django database machinery).
"""

from django.core.exceptions import ImproperlyConfigured

PGBOUNCER_TRANSACTION = "pgbouncer-transaction"
POOLERS = ("", PGBOUNCER_TRANSACTION)


def database_pooler_check(database: dict) -> None:
    """Turn off, in a DATABASES entry, what cannot pass the pooler; refuse a contradiction."""
    options = database["OPTIONS"]
    if options.get("server_side_binding") or options.get("prepare_threshold") is not None:
        raise ImproperlyConfigured(
            "DATABASE_POOLER=pgbouncer-transaction cannot keep server-side binding or "
            "prepared statements: unset DATABASE_SERVER_SIDE_BINDING and "
            "DATABASE_PREPARE_THRESHOLD."
        )
    database["DISABLE_SERVER_SIDE_CURSORS"] = True
