"""Shared fixtures: named personas, a petition to sign, and a clean slate per test.

The personas are the people Chorus serves: the organisation's owner, a
campaigner who runs petitions, a read-only analyst, and a member of the public.
"""

import importlib
import os
import sys
from urllib.parse import urlencode

import freezegun
import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.client import MULTIPART_CONTENT, RequestFactory
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings

from lib.localcache import LocalCache
from orgs.roles import roles_ensure
from tests.factories import OrganisationFactory, PetitionFactory, UserFactory

BASE_URL = "https://act.openfaces.example"

# Property tests: no time limit per example. Speed is measured in bench/, and on a loaded
# 2-core machine Hypothesis's 200 ms deadline failed slow examples as "flaky", not wrong.
# In CI (CI=true) the examples are derived from each test, so a run can be repeated;
# elsewhere every run tries new ones.
hypothesis_settings.register_profile(
    "chorus", deadline=None, derandomize=os.environ.get("CI", "").lower() == "true"
)
hypothesis_settings.load_profile("chorus")
# pytest's own clock (its --durations report) keeps real time under freeze_time.
freezegun.configure(extend_ignore_list=["_pytest"])

# The suite runs twice: on SQLite and on PostgreSQL (DATABASE_URL set). Tests of
# concurrent connections need the latter: SQLite's in-memory test database
# serialises every writer, so there is no race to lose there.
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent connections to PostgreSQL; runs when DATABASE_URL is set",
)


def pytest_configure(config):
    # WhiteNoise looks for collected static files, which tests never need.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
    RequestFactory.post = _post_as_browsers_do(RequestFactory.post)
    _flush_empties_the_audit_log()


def _flush_empties_the_audit_log() -> None:
    """Transactional tests end with `flush`, which the audit log's triggers refuse (they
    refuse DELETE and TRUNCATE from anyone). The test database's flush, and only it,
    sets them aside while it empties the tables and puts them back in the same
    transaction."""
    from django.core.management.commands import flush

    triggers = importlib.import_module("orgs.migrations.0005_audit_event")
    sql_flush = flush.sql_flush

    def with_triggers_aside(style, connection, *args, **kwargs):
        statements = sql_flush(style, connection, *args, **kwargs)
        if not any("orgs_auditevent" in statement for statement in statements):
            return statements
        if connection.vendor == "postgresql":
            aside = ["ALTER TABLE orgs_auditevent DISABLE TRIGGER USER"]
            back = ["ALTER TABLE orgs_auditevent ENABLE TRIGGER USER"]
        else:
            aside, back = triggers.SQLITE_UNDO, triggers.SQLITE
        return [*aside, *statements, *back]

    flush.sql_flush = with_triggers_aside


def _post_as_browsers_do(post):
    """The test client posts a dict URL-encoded, as a browser posts Chorus's forms.

    Django's client sends multipart unless told otherwise, which no page of Chorus
    does without a file field, and which public forms refuse (chorus.middleware's body
    guard). A post with a file, or with its content type named, goes as it did.
    """

    def form_post(self, path, data=None, content_type=MULTIPART_CONTENT, *args, **kwargs):
        if content_type is MULTIPART_CONTENT and not _has_file(data or {}):
            fields = dict(data.lists()) if hasattr(data, "lists") else data or {}
            data = urlencode(fields, doseq=True)
            content_type = "application/x-www-form-urlencoded"
        return post(self, path, data, content_type, *args, **kwargs)

    return form_post


def _has_file(data) -> bool:
    if not isinstance(data, dict):
        return True  # not a form's fields: leave it to Django
    for value in data.values():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if callable(getattr(item, "read", None)):
                return True
    return False


@pytest.fixture(autouse=True)
def _clean_slate(settings, tmp_path_factory):
    """Fixed settings, and no per-process cache carried over from another test."""
    settings.BASE_URL = BASE_URL
    settings.TRUSTED_PROXIES = 0
    # Delivery packs' files in the run's temporary folder, never in the checkout's var/.
    settings.DELIVERY_DIR = tmp_path_factory.getbasetemp() / "delivery"
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost", "evil.example"]
    _local_caches_clear()
    from chorus.middleware import DatabaseUnavailableMiddleware

    # A test that saw the database "down" must not leave the 503 breaker tripped.
    DatabaseUnavailableMiddleware._unavailable_until = 0.0
    from django.core.cache import cache

    cache.clear()
    yield
    _local_caches_clear()


LOCAL_CACHE_PACKAGES = {"chorus", "petitions", "members", "jobs", "lib", "orgs", "api"}


def _local_caches_clear() -> None:
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in LOCAL_CACHE_PACKAGES:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, LocalCache):
                value.clear()


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def organisation(db):
    return OrganisationFactory()


@pytest.fixture
def petition(organisation):
    return PetitionFactory(organisation=organisation, slug="stop-face-scraping")


@pytest.fixture
def roles(db):
    roles_ensure()


@pytest.fixture
def owner(roles):
    return UserFactory(username="olive-owner", role="Owner")


@pytest.fixture
def campaigner(roles):
    return UserFactory(username="cam-campaigner", role="Campaigner")


@pytest.fixture
def analyst(roles):
    return UserFactory(username="ana-analyst", role="Analyst")


def staff_login(client: Client, user) -> Client:
    """Signs `user` in on `client` as the sign-in pages would: password and, for staff who
    can see personal data, a confirmed authenticator app (django-otp)."""
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    otp_login(request, device)
    request.session.save()
    return client


def _logged_in(user) -> Client:
    return staff_login(Client(), user)


@pytest.fixture
def owner_client(owner):
    return _logged_in(owner)


@pytest.fixture
def campaigner_client(campaigner):
    return _logged_in(campaigner)


@pytest.fixture
def analyst_client(analyst):
    return _logged_in(analyst)


@pytest.fixture
def public_client():
    """A member of the public: no login, a fresh browser."""
    return Client()


def sign_data(**overrides) -> dict:
    """What the sign form posts when a person fills it in."""
    data = {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.org",
        "country": "GB",
        "postcode": "N1 0AA",
        "comment": "",
        "channel": "",
        "website": "",
    }
    data.update(overrides)
    return data


REQUEST_META = {"REMOTE_ADDR": "203.0.113.7"}
