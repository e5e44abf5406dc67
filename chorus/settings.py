"""Chorus settings: one module, every difference comes from the environment.

Every default runs on a laptop (SQLite, mail to a local SMTP port or the
console, jobs in the database). Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, BASE_URL and friends; see .env.example.
"""

import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-key-do-not-use-in-production"  # noqa: S105

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
TESTING = env.bool("CHORUS_TESTING", default="pytest" in sys.modules)
if not DEBUG and not TESTING and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key while DEBUG is off. "
        "Set SECRET_KEY in the environment or in .env (make run writes one)."
    )

BASE_URL = env.str("BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
if not BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("BASE_URL must start with http:// or https://")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_countries",
    "django_tasks",
    "django_tasks_db",
    "chorus",
    "orgs",
    "members",
    "petitions",
    "jobs",
]

# Kept short on purpose: every entry runs on every signature during a spike.
# StaffSignInMiddleware is django-otp's OTPMiddleware plus idle expiry and the second-factor
# rule; it returns at once for requests without a session cookie (every signer).
# Chorus speaks one language so far, so LocaleMiddleware waits for a second one.
MIDDLEWARE = [
    "lib.middleware.SharedCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lib.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "orgs.middleware.StaffSignInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lib.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "chorus.urls"
WSGI_APPLICATION = "chorus.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orgs.context_processors.organisation",
            ],
        },
    },
]

# Database: embedded SQLite unless DATABASE_URL names another.
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'chorus.sqlite3'}")
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE transactions take
    # the write lock up front, so two writers queue on busy_timeout instead of
    # failing with "database is locked" when one upgrades a read lock.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
    # Keep each thread's connection: opening one runs the pragmas above, and closing
    # the last one checkpoints the WAL, together more than half a signature's time.
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    _db["CONN_HEALTH_CHECKS"] = True
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
    # Connections are checked before use (see chorus/dbpool.py for which ones).
    _db["CONN_HEALTH_CHECKS"] = True
    if env.bool("DATABASE_POOL", default=True):
        _db["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=2.0),
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["OPTIONS"].setdefault("connect_timeout", 5)
    # psycopg prepares a statement once it has run this many times on a connection (the
    # sign statement, mainly). "none" for a pooler that cannot keep prepared statements.
    _prepare = env.str("DATABASE_PREPARE_THRESHOLD", default="5").lower()
    _db["OPTIONS"]["prepare_threshold"] = None if _prepare == "none" else int(_prepare)
IS_POSTGRES = _db["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chorus",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "chorus",
        }
    }

# Background work. The durable ledger (jobs.Job) is the truth; the task
# queue only wakes workers and runs the periodic jobs.
if REDIS_URL:
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    INSTALLED_APPS.append("django_rq")
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Argon2 for every new or changed password; the others only read older hashes, which
# Django upgrades to Argon2 at the next successful sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 3600

# Mail. By default it is printed by the worker; set EMAIL_URL=smtp://... to send it.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chorus <petitions@chorus.invalid>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# Security headers. Nothing third-party loads: the policy only allows self.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "petitions.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.int("TRUSTED_PROXIES", default=0) else None
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Privacy: client IPs are kept only as a keyed hash and a network prefix.
# TRUSTED_PROXIES is how many reverse proxies sit in front of Chorus; the
# client address is read that many hops back in X-Forwarded-For, never from a
# header a client could send past them.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
if TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("TRUSTED_PROXIES must be 0 or more")
IP_HASH_KEY = env.str("IP_HASH_KEY", default=SECRET_KEY)

CONFIRMATION_TOKEN_DAYS = env.int("CONFIRMATION_TOKEN_DAYS", default=14)
COUNT_FOLD_INTERVAL = env.float("COUNT_FOLD_INTERVAL", default=1.0)
# How long browsers and CDNs may keep the petition page, and how long each web
# process keeps its rendered copy (edits show everywhere within the latter).
PETITION_PAGE_MAX_AGE = env.int("PETITION_PAGE_MAX_AGE", default=10)
PETITION_PAGE_CACHE_SECONDS = env.float("PETITION_PAGE_CACHE_SECONDS", default=3.0)
COUNT_CACHE_SECONDS = env.float("COUNT_CACHE_SECONDS", default=1.0)

# Staff sign-in (orgs/signin.py). Attempts (passwords and second-factor codes) are counted
# in the cache per account and per client network, before any password is hashed.
LOGIN_URL = "staff_sign_in"
LOGIN_REDIRECT_URL = "admin:index"
STAFF_SIGN_IN_ACCOUNT_LIMIT = env.int("STAFF_SIGN_IN_ACCOUNT_LIMIT", default=10)
STAFF_SIGN_IN_NETWORK_LIMIT = env.int("STAFF_SIGN_IN_NETWORK_LIMIT", default=50)
STAFF_SIGN_IN_WINDOW_MINUTES = env.int("STAFF_SIGN_IN_WINDOW_MINUTES", default=15)
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)
for _name in (
    "STAFF_SIGN_IN_ACCOUNT_LIMIT",
    "STAFF_SIGN_IN_NETWORK_LIMIT",
    "STAFF_SIGN_IN_WINDOW_MINUTES",
    "STAFF_SESSION_IDLE_MINUTES",
):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more")
# The name authenticator apps show beside the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Chorus")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {"chorus": {"level": env.str("LOG_LEVEL", default="INFO")}},
}
