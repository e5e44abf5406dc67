"""The ceiling: the least a Django sign view can do, served the same way as Chorus.

Two views measure what this server, this database and this machine allow at all:
`/bare/` returns a short string, and `/sign/` checks CSRF, validates a form with
name, email and country, and does one INSERT guarded by a unique constraint.
Chorus's figures are printed as a share of these.

Environment: CEILING_DATABASE_URL (PostgreSQL, pooled like Chorus) or, without it,
CEILING_SQLITE (a file; WAL, IMMEDIATE transactions, synchronous=FULL, like Chorus).
"""

import os

import environ

SECRET_KEY = os.environ.get("CEILING_SECRET_KEY", "ceiling-bench-only-not-a-real-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "ceiling.urls"
WSGI_APPLICATION = "ceiling.wsgi.application"
INSTALLED_APPS = ["ceiling"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TEMPLATES: list = []
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

_url = os.environ.get("CEILING_DATABASE_URL", "")
if _url:
    DATABASES = {"default": environ.Env.db_url_config(_url)}
    # The same pool as Chorus: checked connections, 2 to 20 per process.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": os.environ.get("CEILING_SERVER_SIDE_BINDING") == "1",
        "connect_timeout": 5,
        "pool": {
            "min_size": 2,
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", 20)),
            "timeout": 5.0,
        },
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("CEILING_SQLITE", "/tmp/ceiling.sqlite3"),
            # Persistent per-thread connections, as Chorus keeps them on SQLite.
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
