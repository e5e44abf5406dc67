"""The `replica` database alias, made from the primary's entry and DATABASE_REPLICA_URL."""

from django.db import DEFAULT_DB_ALIAS

ADDRESS_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


def replica_database(
    primary: dict, replica_url: dict, *, connect_timeout: float, keep: int
) -> dict:
    """The replica's DATABASES entry: the primary's options (a pooler's included) at the
    replica's address, connecting with a short timeout, with no pool of its own.

    No psycopg pool: a pool reconnects to a replica that is down from threads of its own
    for minutes, where one connection per thread, kept `keep` seconds, simply fails fast and
    is tried again after lib/replica.py's pause. In tests it mirrors the primary's test
    database (a second connection to it, not a second database).
    """
    options = {**primary.get("OPTIONS", {}), **replica_url.get("OPTIONS", {})}
    options.pop("pool", None)
    options["connect_timeout"] = connect_timeout
    return {
        **primary,
        **{key: replica_url.get(key, "") for key in ADDRESS_KEYS},
        "OPTIONS": options,
        "CONN_MAX_AGE": keep,
        "TEST": {"MIRROR": DEFAULT_DB_ALIAS},
    }
