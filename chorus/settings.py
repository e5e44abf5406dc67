"""Chorus settings: one module, every difference comes from the environment.

Every default runs on a laptop (SQLite, mail to a local SMTP port or the
console, jobs in the database). Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, BASE_URL and friends; see .env.example.
"""

import email.utils
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from chorus.db.pooler import POOLERS, database_pooler_check
from chorus.db.replica import replica_database

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-key-do-not-use-in-production"  # noqa: S105

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
# Keys being retired: sessions, Django-signed values and staff recovery codes made under
# them still check. Mailing and confirmation links do not (docs/deploy.md).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
TESTING = env.bool("CHORUS_TESTING", default="pytest" in sys.modules)
if not DEBUG and not TESTING and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key while DEBUG is off. "
        "Set SECRET_KEY in the environment or in .env (scripts/env.sh writes one)."
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
    "chorus",
    "orgs",
    "members",
    "petitions",
    "jobs",
    "mailings",
    "rights",
    "partners",
    "delivery",
    "api",
    "staff",
]

# Kept short on purpose: every entry runs on every signature during a spike.
# StaffSignInMiddleware is django-otp's OTPMiddleware plus idle expiry and the second-factor
# rule; it returns at once for requests without a session cookie (every signer).
# PathLocaleMiddleware (chorus/languages.py) takes a public page's language from its URL
# (/fr/p/<slug>/; English unprefixed), and any other page's from the language cookie,
# else the browser's Accept-Language.
# The header middleware sits above WhiteNoise so static files get the same headers,
# and the body guard above everything that reads a request body (the CSRF check).
MIDDLEWARE = [
    "chorus.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "chorus.middleware.SecurityHeadersMiddleware",
    "chorus.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "chorus.middleware.RequestBodyGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chorus.languages.PathLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "orgs.middleware.StaffSignInMiddleware",
    "chorus.middleware.DatabaseUnavailableMiddleware",
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
                "chorus.languages.languages_context",
            ],
        },
    },
]

# Database: embedded SQLite unless DATABASE_URL names another.
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))
# Owner-only: the database, its WAL and uploads hold signers' personal data.
# (chorus.datafiles warns at start when any of it is open to others.)
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
# DATABASE_POOLER=pgbouncer-transaction: the connection is made safe behind PgBouncer in
# transaction mode (chorus/db/pooler.py says what that takes).
DATABASE_POOLER = env.str("DATABASE_POOLER", default="").strip().lower()
if DATABASE_POOLER not in POOLERS:
    raise ImproperlyConfigured(
        f"DATABASE_POOLER={DATABASE_POOLER!r}: the one pooler Chorus knows is "
        "pgbouncer-transaction (or leave it empty for none)."
    )
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'chorus.sqlite3'}")
}
_db = DATABASES["default"]
if _db.get("ENGINE") not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise ImproperlyConfigured(
        f"DATABASE_URL names {_db.get('ENGINE') or 'no database'}: Chorus runs on SQLite "
        "(sqlite:///path) "
        "or PostgreSQL (postgres://user:password@host/name) only."
    )
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with every write transaction queued for the write turn in
    # the process rather than on SQLite's busy timer (chorus/db/sqlite3/base.py).
    _db["ENGINE"] = "chorus.db.sqlite3"
    # WAL lets readers run beside the one writer; IMMEDIATE transactions take
    # the write lock up front, so two writers queue instead of failing with
    # "database is locked" when one upgrades a read lock.
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
    # Django's backend, with pooled connections checked only after sitting idle
    # (chorus/db/postgresql/base.py).
    _db["ENGINE"] = "chorus.db.postgresql"
    _db["CONN_HEALTH_CHECKS"] = True
    if env.bool("DATABASE_POOL", default=not DATABASE_POOLER):
        if DATABASE_POOLER:
            raise ImproperlyConfigured(
                "DATABASE_POOL and DATABASE_POOLER both set: the pooler pools; "
                "leave DATABASE_POOL unset."
            )
        _db["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=2.0),
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["OPTIONS"].setdefault("connect_timeout", 5)
    # Parameters travel apart from the query text: quoting them into it was a tenth of
    # the sign statement's CPU, and it lets psycopg prepare a statement once it has run
    # this many times on a connection (the sign statement, mainly). "none" for a
    # pooler that cannot keep prepared statements.
    _db["OPTIONS"]["server_side_binding"] = env.bool(
        "DATABASE_SERVER_SIDE_BINDING", default=not DATABASE_POOLER
    )
    _prepare = env.str("DATABASE_PREPARE_THRESHOLD", default="none" if DATABASE_POOLER else "5")
    _db["OPTIONS"]["prepare_threshold"] = None if _prepare.lower() == "none" else int(_prepare)
    if DATABASE_POOLER:
        database_pooler_check(_db)
IS_POSTGRES = _db["ENGINE"] == "chorus.db.postgresql"
if DATABASE_POOLER and not IS_POSTGRES:
    raise ImproperlyConfigured("DATABASE_POOLER is for PostgreSQL; DATABASE_URL names SQLite.")

# A read replica (PostgreSQL streaming replication): reads marked as able to lag (the
# staff dashboard, exports, delivery packs, the public API's aggregates) go to it while it
# answers and is at most DATABASE_REPLICA_MAX_LAG seconds behind; everything else, and
# everything when it is unset or unfit, goes to the primary (lib/replica.py).
DATABASE_ROUTERS = ["chorus.db.router.ReplicaRouter"]
DATABASE_REPLICA_MAX_LAG = env.float("DATABASE_REPLICA_MAX_LAG", default=30.0)
if env.str("DATABASE_REPLICA_URL", default=""):
    _replica_url = env.db_url("DATABASE_REPLICA_URL")
    if not IS_POSTGRES or _replica_url.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL is a PostgreSQL replica of a PostgreSQL DATABASE_URL "
            "(postgres://user:password@host/name); both must be PostgreSQL."
        )
    DATABASES["replica"] = replica_database(
        _db,
        _replica_url,
        connect_timeout=env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2),
        keep=env.int("CONN_MAX_AGE", default=60),
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, keeping its client objects (lib/rediscache.py says why).
            "BACKEND": "lib.rediscache.RedisCache",
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

# Background work lives in the ledger (jobs.Job), which chorus_worker polls: no task
# queue (see docs/architecture.md, "Background work").

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
# Each named in its own language, as a language switcher shows them.
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]
# The installation's catalogs: public pages and emails (locale/), the staff area's own
# (staff/locale/, found as an app's). Compiled by scripts/messages.sh.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 3600

# Mail. By default it is not sent: the worker prints a few lines per email (to, subject,
# links) and keeps the whole message in DATA_DIR/mail/ (chorus/consolemail.py). Set
# EMAIL_URL=smtp://... to send it.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    EMAIL_CONFIG["EMAIL_BACKEND"] = "chorus.consolemail.ConsoleSummaryBackend"
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chorus <petitions@chorus.invalid>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# Whether the mail server delivers addresses with non-ASCII before the @ (SMTPUTF8). Without
# it such addresses are refused at the form, since they would be mangled on the way out.
EMAIL_SMTPUTF8 = env.bool("EMAIL_SMTPUTF8", default=False)

# Security headers. Nothing third-party loads: the policy only allows self.
HTTPS = BASE_URL.startswith("https://")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# The page's script takes its token from me.json; no script ever reads the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "petitions.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.int("TRUSTED_PROXIES", default=0) else None
)
# HSTS whenever BASE_URL is https (chorus.middleware.SecurityHeadersMiddleware sends it
# even when the proxy does not say the request was https).
SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=365 * 24 * 3600) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading binds every subdomain of the registrable domain for months: a choice for
# whoever owns that domain, not a default for one site on it.
SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [
    # SECURE_SSL_REDIRECT: Chorus listens on loopback behind the TLS proxy, which
    # redirects http to https itself; redirecting here as well would loop whenever
    # the proxy does not forward the scheme.
    "security.W008",
    # SECURE_HSTS_PRELOAD: see above; HSTS_PRELOAD=true turns it on.
    "security.W021",
]
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
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
IP_HASH_KEY = env.str("IP_HASH_KEY", default="")
if not TESTING and (not IP_HASH_KEY or IP_HASH_KEY == SECRET_KEY):
    # Its own key, so SECRET_KEY can be rotated (or leak) without touching the hashes.
    raise ImproperlyConfigured(
        "IP_HASH_KEY must be set, and differ from SECRET_KEY. "
        "Set it in the environment or in .env (scripts/env.sh writes one)."
    )
IP_HASH_KEY = IP_HASH_KEY or "test-ip-hash-key"

# Request bodies, refused from their Content-Length before they are read
# (chorus.middleware.RequestBodyGuardMiddleware). The longest valid sign form, every
# character four bytes of UTF-8 and percent-encoded, is under 20 kB.
PUBLIC_BODY_MAX_BYTES = env.int("PUBLIC_BODY_MAX_BYTES", default=32 * 1024)
# The staff area uploads petition images; keep the proxy's limit at least this.
STAFF_BODY_MAX_BYTES = env.int("STAFF_BODY_MAX_BYTES", default=10 * 1024 * 1024)
# Member imports (CSV): the largest file accepted (keep it under STAFF_BODY_MAX_BYTES),
# and where uploads wait for their run: owner-only, outside MEDIA_ROOT, never served.
MEMBER_IMPORT_MAX_BYTES = env.int("MEMBER_IMPORT_MAX_BYTES", default=9 * 1024 * 1024)
MEMBER_IMPORT_DIR = Path(env.str("MEMBER_IMPORT_DIR", default=str(DATA_DIR / "imports")))
# Delivery packs (delivery.packs): where their PDF and CSV files are kept (owner-only,
# outside MEDIA_ROOT, served only by the workspace's download view), for how many days,
# and how many public comments the PDF carries at most (the newest; the CSV has them all
# when the petition shares comments). Each comment costs the PDF's layout about 10 ms
# (docs/delivery.md): 500 lay out in seconds, well inside a job's lease.
DELIVERY_DIR = Path(env.str("DELIVERY_DIR", default=str(DATA_DIR / "delivery")))
DELIVERY_PACK_DAYS = env.int("DELIVERY_PACK_DAYS", default=30)
DELIVERY_PDF_COMMENTS = env.int("DELIVERY_PDF_COMMENTS", default=500)
if DELIVERY_PACK_DAYS < 1 or DELIVERY_PDF_COMMENTS < 0:
    raise ImproperlyConfigured(
        "DELIVERY_PACK_DAYS must be 1 or more, DELIVERY_PDF_COMMENTS 0 or more"
    )

CONFIRMATION_TOKEN_DAYS = env.int("CONFIRMATION_TOKEN_DAYS", default=14)
# Days the link in a member's confirmed opt-in email (members.optin) stays valid.
MEMBER_OPTIN_DAYS = env.int("MEMBER_OPTIN_DAYS", default=30)
if MEMBER_OPTIN_DAYS < 1:
    raise ImproperlyConfigured("MEMBER_OPTIN_DAYS must be 1 or more")
# The one ceiling on mail to addresses nobody has proven to own (confirmation links,
# "already signed" notices, resends): per address, at most one every
# UNVERIFIED_MAIL_INTERVAL seconds and UNVERIFIED_MAIL_PER_DAY a day; per client
# network (/24 or /48), at most UNVERIFIED_MAIL_PER_NETWORK_HOUR an hour (0: no limit).
UNVERIFIED_MAIL_INTERVAL = env.int("UNVERIFIED_MAIL_INTERVAL", default=300)
UNVERIFIED_MAIL_PER_DAY = env.int("UNVERIFIED_MAIL_PER_DAY", default=3)
UNVERIFIED_MAIL_PER_NETWORK_HOUR = env.int("UNVERIFIED_MAIL_PER_NETWORK_HOUR", default=100)
if UNVERIFIED_MAIL_INTERVAL < 0 or UNVERIFIED_MAIL_PER_NETWORK_HOUR < 0:
    raise ImproperlyConfigured(
        "UNVERIFIED_MAIL_INTERVAL and UNVERIFIED_MAIL_PER_NETWORK_HOUR must be 0 or more"
    )
if UNVERIFIED_MAIL_PER_DAY < 1:
    raise ImproperlyConfigured("UNVERIFIED_MAIL_PER_DAY must be 1 or more")
# Privacy rights (rights/, docs/privacy.md): how long a self-service link (a copy of
# someone's data, or their erasure) works; signers of petitions closed this many months
# ago are anonymised unless subscribed; IP hashes and network prefixes are dropped after
# IP_RETENTION_DAYS (long enough for the fraud checks to look back).
RIGHTS_LINK_HOURS = env.int("RIGHTS_LINK_HOURS", default=24)
RETENTION_CLOSED_PETITION_MONTHS = env.int("RETENTION_CLOSED_PETITION_MONTHS", default=24)
IP_RETENTION_DAYS = env.int("IP_RETENTION_DAYS", default=30)
for _name in ("RIGHTS_LINK_HOURS", "RETENTION_CLOSED_PETITION_MONTHS", "IP_RETENTION_DAYS"):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more")
COUNT_FOLD_INTERVAL = env.float("COUNT_FOLD_INTERVAL", default=1.0)

# Fraud limits (petitions/services/limits.py, docs/trust.md): every sign POST counts its
# client network, its email domain and its petition in the cache (Redis when REDIS_URL is
# set); a signature over a limit is stored as fraudulent, never counted, and its sender
# sees the usual success. Each is a count per petition per window of seconds; 0 turns
# it off. The major providers' domains (lib.addresses.MAJOR_DOMAINS) have their own
# limit; the per-petition ceiling is off by default, so a viral spike is never fraud.
SIGN_LIMIT_NETWORK = env.int("SIGN_LIMIT_NETWORK", default=100)
SIGN_LIMIT_NETWORK_WINDOW = env.int("SIGN_LIMIT_NETWORK_WINDOW", default=3600)
SIGN_LIMIT_DOMAIN = env.int("SIGN_LIMIT_DOMAIN", default=300)
SIGN_LIMIT_MAJOR_DOMAIN = env.int("SIGN_LIMIT_MAJOR_DOMAIN", default=0)
SIGN_LIMIT_DOMAIN_WINDOW = env.int("SIGN_LIMIT_DOMAIN_WINDOW", default=3600)
SIGN_LIMIT_PETITION = env.int("SIGN_LIMIT_PETITION", default=0)
SIGN_LIMIT_PETITION_WINDOW = env.int("SIGN_LIMIT_PETITION_WINDOW", default=60)
for _name in ("SIGN_LIMIT_NETWORK", "SIGN_LIMIT_DOMAIN", "SIGN_LIMIT_MAJOR_DOMAIN"):
    if vars()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 (off) or more")
if SIGN_LIMIT_PETITION < 0:
    raise ImproperlyConfigured("SIGN_LIMIT_PETITION must be 0 (off) or more")
for _name in (
    "SIGN_LIMIT_NETWORK_WINDOW",
    "SIGN_LIMIT_DOMAIN_WINDOW",
    "SIGN_LIMIT_PETITION_WINDOW",
):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 second or more")
# Signatures from disposable mail domains: "flag" (stored as fraudulent, silently, like
# the limits) or "off". The list is the disposable-email-domains package's plus the
# lines of DISPOSABLE_DOMAINS_FILE (re-read when it changes; "-domain" takes one out).
DISPOSABLE_DOMAINS = env.str("DISPOSABLE_DOMAINS", default="flag").lower()
if DISPOSABLE_DOMAINS not in ("flag", "off"):
    raise ImproperlyConfigured("DISPOSABLE_DOMAINS must be flag or off")
DISPOSABLE_DOMAINS_FILE = env.str("DISPOSABLE_DOMAINS_FILE", default="")
# How long browsers and CDNs may keep the petition page, and how long each web
# process keeps its rendered copy (edits show everywhere within the latter).
PETITION_PAGE_MAX_AGE = env.int("PETITION_PAGE_MAX_AGE", default=10)
PETITION_PAGE_CACHE_SECONDS = env.float("PETITION_PAGE_CACHE_SECONDS", default=3.0)
COUNT_CACHE_SECONDS = env.float("COUNT_CACHE_SECONDS", default=1.0)
# The embeddable widget's form token (petitions/embed.py, docs/widget.md): how long a
# widget's form may stay open before signing asks for one more press. Longer than any
# cache keeps the widget (PETITION_PAGE_MAX_AGE, PETITION_PAGE_CACHE_SECONDS).
EMBED_FORM_TOKEN_SECONDS = env.int("EMBED_FORM_TOKEN_SECONDS", default=6 * 60 * 60)
if EMBED_FORM_TOKEN_SECONDS < 60 + PETITION_PAGE_MAX_AGE + PETITION_PAGE_CACHE_SECONDS:
    raise ImproperlyConfigured(
        "EMBED_FORM_TOKEN_SECONDS must outlast the widget's cache times by a minute at least"
    )

# Scraping resistance (docs/trust.md). Every signer name the public can read, on any page,
# is one of the newest PUBLIC_SIGNERS_CAP confirmed signers who chose to be shown; the
# signers page lists them PUBLIC_SIGNERS_PAGE at a time. Public JSON answers the view
# makes (not the kept copies the page cache serves) are limited per client network
# (/24 or /48) to PUBLIC_JSON_PER_MINUTE; over it, a 429.
PUBLIC_SIGNERS_CAP = env.int("PUBLIC_SIGNERS_CAP", default=100)
PUBLIC_SIGNERS_PAGE = env.int("PUBLIC_SIGNERS_PAGE", default=20)
PUBLIC_JSON_PER_MINUTE = env.int("PUBLIC_JSON_PER_MINUTE", default=600)
# A petition's updates: PUBLIC_UPDATES_PAGE on the petition page, older ones on pages of
# their own, the newest PUBLIC_UPDATES_CAP in all.
PUBLIC_UPDATES_PAGE = env.int("PUBLIC_UPDATES_PAGE", default=5)
PUBLIC_UPDATES_CAP = env.int("PUBLIC_UPDATES_CAP", default=50)
if PUBLIC_UPDATES_PAGE < 1 or PUBLIC_UPDATES_CAP < 0:
    raise ImproperlyConfigured(
        "PUBLIC_UPDATES_PAGE must be 1 or more; PUBLIC_UPDATES_CAP 0 or more"
    )
if PUBLIC_SIGNERS_CAP < 0 or PUBLIC_SIGNERS_PAGE < 1 or PUBLIC_JSON_PER_MINUTE < 1:
    raise ImproperlyConfigured(
        "PUBLIC_SIGNERS_CAP must be 0 or more; PUBLIC_SIGNERS_PAGE and"
        " PUBLIC_JSON_PER_MINUTE 1 or more"
    )

# The public API and the partner API (docs/api.md). Petition lists come API_PAGE_SIZE at a
# time, up to page API_MAX_PAGE; answers may be kept API_MAX_AGE seconds. A partner token
# may sign API_PARTNER_PER_MINUTE times a minute. Webhooks go only to public addresses
# unless WEBHOOK_ALLOW_PRIVATE (tests; a receiver on the same network), and wait
# WEBHOOK_TIMEOUT_SECONDS for an answer.
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=20)
API_MAX_PAGE = env.int("API_MAX_PAGE", default=1000)
API_MAX_AGE = env.int("API_MAX_AGE", default=30)
API_PARTNER_PER_MINUTE = env.int("API_PARTNER_PER_MINUTE", default=300)
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Deliveries and their tries are forgotten after this many days (docs/privacy.md).
WEBHOOK_DELIVERY_DAYS = env.int("WEBHOOK_DELIVERY_DAYS", default=30)
if (
    min(API_PAGE_SIZE, API_MAX_PAGE, API_PARTNER_PER_MINUTE, WEBHOOK_DELIVERY_DAYS) < 1
    or API_MAX_AGE < 0
):
    raise ImproperlyConfigured(
        "API_PAGE_SIZE, API_MAX_PAGE, API_PARTNER_PER_MINUTE and WEBHOOK_DELIVERY_DAYS"
        " must be 1 or more;"
        " API_MAX_AGE 0 or more"
    )
if not 0 < WEBHOOK_TIMEOUT_SECONDS <= 60:
    raise ImproperlyConfigured("WEBHOOK_TIMEOUT_SECONDS must be more than 0 and at most 60")

# Staff sign-in (orgs/signin.py). Attempts (passwords and second-factor codes) are counted
# in the cache per account and per client network, before any password is hashed.
LOGIN_URL = "staff_sign_in"
LOGIN_REDIRECT_URL = "staff:home"
STAFF_SIGN_IN_ACCOUNT_LIMIT = env.int("STAFF_SIGN_IN_ACCOUNT_LIMIT", default=10)
STAFF_SIGN_IN_NETWORK_LIMIT = env.int("STAFF_SIGN_IN_NETWORK_LIMIT", default=50)
STAFF_SIGN_IN_WINDOW_MINUTES = env.int("STAFF_SIGN_IN_WINDOW_MINUTES", default=15)
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)
# How long an invitation link into the workspace works (orgs.people).
STAFF_INVITATION_DAYS = env.int("STAFF_INVITATION_DAYS", default=7)
for _name in (
    "STAFF_SIGN_IN_ACCOUNT_LIMIT",
    "STAFF_SIGN_IN_NETWORK_LIMIT",
    "STAFF_SIGN_IN_WINDOW_MINUTES",
    "STAFF_SESSION_IDLE_MINUTES",
    "STAFF_INVITATION_DAYS",
):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more")
# The name authenticator apps show beside the code.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Chorus")

# Mailings (mailings/). The addresses a mailing may be sent from: DEFAULT_FROM_EMAIL's
# address unless MAILING_SENDERS lists others (comma-separated).
MAILING_SENDERS = env.list(
    "MAILING_SENDERS", default=[email.utils.parseaddr(DEFAULT_FROM_EMAIL)[1]]
)
# Why a member receives a mailing: the footer of every one says so.
MAILING_WHY = env.str(
    "MAILING_WHY",
    default="You receive this email because you asked {organisation} to keep you informed.",
)
# How many days a mailing's link recognises the member on a petition page.
MAILING_TOKEN_DAYS = env.int("MAILING_TOKEN_DAYS", default=30)
if MAILING_TOKEN_DAYS < 1:
    raise ImproperlyConfigured("MAILING_TOKEN_DAYS must be 1 or more")

# Mailings, inbound (mailings/inbound.py, mailings/views.py): bounces, complaints,
# unsubscribes, clicks. Soft bounces (4.x.x) in a row before the address is suppressed;
# hard bounces (5.x.x) and complaints suppress it at once.
MAILING_SOFT_BOUNCE_LIMIT = env.int("MAILING_SOFT_BOUNCE_LIMIT", default=3)
if MAILING_SOFT_BOUNCE_LIMIT < 1:
    raise ImproperlyConfigured("MAILING_SOFT_BOUNCE_LIMIT must be 1 or more")
# Open tracking: off unless switched on, and then only a count per mailing (who opened
# is never recorded).
MAILING_OPEN_TRACKING = env.bool("MAILING_OPEN_TRACKING", default=False)
# Take django-anymail's tracking webhooks at /anymail/ (an ESP sends bounces and
# complaints there). Off unless an ESP is configured.
MAILING_ANYMAIL_WEBHOOKS = env.bool("MAILING_ANYMAIL_WEBHOOKS", default=False)
# anymail's webhooks ask for HTTP basic authentication with this "user:password".
ANYMAIL_WEBHOOK_SECRET = env.str("ANYMAIL_WEBHOOK_SECRET", default="")
if MAILING_ANYMAIL_WEBHOOKS and ":" not in ANYMAIL_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "MAILING_ANYMAIL_WEBHOOKS needs ANYMAIL_WEBHOOK_SECRET as user:password"
    )

# Mailings: sending (mailings/sending.py, lib/mailrate.py). Messages a second overall and
# per receiving provider ("gmail=20,microsoft=10,yahoo=10,other=50"), shared by every
# worker through the cache; 0 or absent is unlimited. A provider that refuses for now
# (4xx) is halved, recovering (doubling) every MAILING_PROVIDER_RECOVER_SECONDS.
MAILING_RATE_PER_SECOND = env.float("MAILING_RATE_PER_SECOND", default=0.0)
if MAILING_RATE_PER_SECOND < 0:
    raise ImproperlyConfigured("MAILING_RATE_PER_SECOND must be 0 (unlimited) or more")


def _provider_rates(value: str) -> dict[str, float]:
    rates: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, number = item.partition("=")
        name = name.strip().lower()
        if name not in ("gmail", "microsoft", "yahoo", "other"):
            raise ImproperlyConfigured(
                f"MAILING_PROVIDER_RATES: {name!r} is not gmail, microsoft, yahoo or other"
            )
        try:
            rates[name] = float(number)
        except ValueError:
            raise ImproperlyConfigured(
                f"MAILING_PROVIDER_RATES: {item!r} is not provider=messages per second"
            ) from None
        if rates[name] < 0:
            raise ImproperlyConfigured(f"MAILING_PROVIDER_RATES: {item!r} is negative")
    return rates


MAILING_PROVIDER_RATES = _provider_rates(env.str("MAILING_PROVIDER_RATES", default=""))
MAILING_PROVIDER_RECOVER_SECONDS = env.int("MAILING_PROVIDER_RECOVER_SECONDS", default=60)
if MAILING_PROVIDER_RECOVER_SECONDS < 1:
    raise ImproperlyConfigured("MAILING_PROVIDER_RECOVER_SECONDS must be 1 or more")
# Recipients a worker thread claims at a time: a killed worker's unsent ones come back
# when their lease runs out (MAILING_MARK_EVERY bounds the repeats).
MAILING_BATCH = env.int("MAILING_BATCH", default=100)
if not 1 <= MAILING_BATCH <= 5000:
    raise ImproperlyConfigured("MAILING_BATCH must be between 1 and 5000")
# Sent recipients marked done in one statement: at most threads x this are sent twice
# when a worker is killed mid-send (1: each marked alone, one round trip per message).
MAILING_MARK_EVERY = env.int("MAILING_MARK_EVERY", default=10)
if not 1 <= MAILING_MARK_EVERY <= 1000:
    raise ImproperlyConfigured("MAILING_MARK_EVERY must be between 1 and 1000")
# Seconds a worker holds the ledger jobs it claimed before another may take them over (a
# killed worker's jobs, confirmation emails among them, come back after this).
JOBS_LEASE_SECONDS = env.int("JOBS_LEASE_SECONDS", default=60)
if JOBS_LEASE_SECONDS < 2:
    raise ImproperlyConfigured("JOBS_LEASE_SECONDS must be 2 or more")
# Seconds a worker holds a claimed batch before another may take it over (a killed
# worker's unsent recipients come back after this).
MAILING_LEASE_SECONDS = env.int("MAILING_LEASE_SECONDS", default=60)
if MAILING_LEASE_SECONDS < 2:
    raise ImproperlyConfigured("MAILING_LEASE_SECONDS must be 2 or more")
# The domain of the per-recipient return path (bounces+<token>@...) and of the mailto
# unsubscribe address: mail to it must reach `manage.py chorus_mail_inbound`.
MAILING_RETURN_DOMAIN = env.str(
    "MAILING_RETURN_DOMAIN",
    default=email.utils.parseaddr(DEFAULT_FROM_EMAIL)[1].rpartition("@")[2],
)
if not MAILING_RETURN_DOMAIN or "@" in MAILING_RETURN_DOMAIN or " " in MAILING_RETURN_DOMAIN:
    raise ImproperlyConfigured("MAILING_RETURN_DOMAIN must be a domain name")
# Optional DKIM signing of mailings (docs/mailings.md, "Sending"): all three or none.
MAILING_DKIM_KEY_PATH = env.str("MAILING_DKIM_KEY_PATH", default="")
MAILING_DKIM_SELECTOR = env.str("MAILING_DKIM_SELECTOR", default="")
MAILING_DKIM_DOMAIN = env.str("MAILING_DKIM_DOMAIN", default="")
_dkim = [MAILING_DKIM_KEY_PATH, MAILING_DKIM_SELECTOR, MAILING_DKIM_DOMAIN]
if any(_dkim) and not all(_dkim):
    raise ImproperlyConfigured(
        "MAILING_DKIM_KEY_PATH, MAILING_DKIM_SELECTOR and MAILING_DKIM_DOMAIN go together"
    )
if MAILING_DKIM_KEY_PATH and not Path(MAILING_DKIM_KEY_PATH).is_file():
    raise ImproperlyConfigured(f"MAILING_DKIM_KEY_PATH: no file at {MAILING_DKIM_KEY_PATH}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {"chorus": {"level": env.str("LOG_LEVEL", default="INFO")}},
}
