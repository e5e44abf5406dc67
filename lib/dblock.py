"""One writer at a time for a check-then-insert that no constraint can guard."""

import hashlib

from django.db import connection


def serialise(name: str) -> None:
    """Inside a transaction, wait until no other transaction holds `name`; hold it to the end.

    On PostgreSQL a transaction-scoped advisory lock keyed on `name`. SQLite's write
    transactions already run one at a time (chorus/db/sqlite3), so there is nothing to do.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
