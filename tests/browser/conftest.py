"""Real parts for the browser tests: Chromium, an SMTP server, granian and the worker.

The package's fixture creates the test database through pytest-django, loads the
demo, and starts the application server and the background worker as
subprocesses against that same database, the way production runs them (DEBUG
off, manifest static files, mail over SMTP). Everything the browser causes is
committed for real, so the fixture empties the database again when the last
browser test has run, before other tests use it.
"""

import base64
import email
import email.policy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import setup_databases, teardown_databases
from playwright.sync_api import Browser, Page, expect, sync_playwright

from petitions.models import Signature
from tests.dkimkeys import dkim_key_make

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# How long each server process keeps a rendered petition page (production: 3 s).
PAGE_CACHE_SECONDS = 1.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_SLUG = "stop-face-scraping"
DEMO_PATH = f"/p/{DEMO_SLUG}/"
SHOTS = Path(os.environ.get("CHORUS_SHOTS_DIR") or Path(tempfile.gettempdir(), "chorus-shots"))
# A Redis database of its own, so the servers' cache never mixes with the test
# process's (which empties its database before every test) or a developer's.
BROWSER_REDIS_DB = 14
# Generous: the suite must pass on a loaded two-core machine.
STARTUP_TIMEOUT = 90
MAIL_TIMEOUT = 60
COUNT_TIMEOUT = 45
PAGE_TIMEOUT_MS = 30_000

ORIGINAL_DATABASE_NAME = settings.DATABASES["default"]["NAME"]

expect.set_options(timeout=20_000)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unique_email(name: str = "signer") -> str:
    return f"{name}-{uuid4().hex[:10]}@example.org"


# --- Mail ---------------------------------------------------------------------------------


@dataclass
class Inbox:
    """Every message the SMTP server accepted, parsed, in arrival order."""

    messages: list = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    # By Message-ID: the envelope sender (a mailing's return path) and the bytes as they
    # arrived (what a DKIM signature covers).
    envelopes: dict = field(default_factory=dict)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.envelopes[str(message["Message-ID"])] = (envelope.mail_from, envelope.content)
            self.messages.append((list(envelope.rcpt_tos), message))
            self.arrived.notify_all()
        return "250 Message accepted"

    def to(self, address: str, subject_contains: str = "") -> list:
        with self.arrived:
            return [
                message
                for recipients, message in self.messages
                if address in recipients and subject_contains in str(message["Subject"])
            ]

    def wait_for(self, address: str, subject_contains: str = "", count: int = 1):
        """The `count`-th message to `address` whose subject contains the text."""
        deadline = time.monotonic() + MAIL_TIMEOUT
        with self.arrived:
            while len(found := self.to(address, subject_contains)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no message {count} to {address} with {subject_contains!r} "
                        f"within {MAIL_TIMEOUT}s; inbox has {len(self.messages)} messages"
                    )
                self.arrived.wait(remaining)
        return found[count - 1]


def mail_bodies(message) -> tuple[str, str]:
    """The text and HTML bodies of a multipart/alternative message."""
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def confirm_links(body: str, base_url: str) -> list[str]:
    return re.findall(re.escape(base_url) + r"/c/[A-Za-z0-9_\-]+/", body)


@pytest.fixture(scope="session")
def inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


# --- The application, served for real -----------------------------------------------------


@dataclass
class LiveApp:
    url: str
    log_dir: Path
    # The servers' SECRET_KEY: a test that makes a signed link for them (a mailing's
    # tokens) signs with it.
    secret_key: str = ""
    # The DNS TXT record the servers' DKIM key would publish (MAILING_DKIM_*).
    dkim_record: bytes = b""
    # The servers' environment, for a command run as they would run it.
    env: dict = field(default_factory=dict)

    def logs(self) -> str:
        parts = []
        for log in sorted(self.log_dir.glob("*.log")):
            parts.append(f"--- {log.name} (last 3000 chars)\n{log.read_text()[-3000:]}")
        return "\n".join(parts)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(db["USER"] or "", safe="")
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        host = db["HOST"] or "127.0.0.1"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"
    name = str(db["NAME"])
    if connection.vendor != "sqlite" or "memory" in name or not name.startswith("/"):
        pytest.skip(
            "browser tests need a database other processes can open: PostgreSQL "
            "(DATABASE_URL), or SQLite with a test database in a file"
        )
    return f"sqlite:///{name}"


def _redis_url() -> str:
    if not settings.REDIS_URL:
        return ""
    parts = urlsplit(settings.REDIS_URL)
    url = urlunsplit(parts._replace(path=f"/{BROWSER_REDIS_DB}"))
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


def _production_env() -> dict:
    """This environment as production would see it: not under pytest, DEBUG off."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CHORUS_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
        and not key.startswith("PYTEST_")
    }
    env.update(
        SECRET_KEY="browser-tests-" + uuid4().hex,
        IP_HASH_KEY="browser-tests-ip-" + uuid4().hex,
        DEBUG="false",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="chorus.settings",
    )
    return env


def _server_env(app_port: int, smtp_port: int, data_dir: Path) -> dict:
    env = _production_env()
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=_redis_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        BASE_URL=f"http://127.0.0.1:{app_port}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        COUNT_FOLD_INTERVAL="0.5",
        PETITION_PAGE_CACHE_SECONDS=str(PAGE_CACHE_SECONDS),
        DATA_DIR=str(data_dir),
        MEDIA_ROOT=str(data_dir / "media"),
        LOG_LEVEL="WARNING",
    )
    return env


DKIM_SELECTOR = "chorus2026"
DKIM_DOMAIN = "chorus.invalid"  # the domain of DEFAULT_FROM_EMAIL, the mailings' sender


def _dkim_env(work_dir: Path, app) -> dict:
    """A fresh DKIM key for the servers' mailings, and its DNS record for the tests."""
    private = work_dir / "dkim.pem"
    app.dkim_record = b"v=DKIM1; k=rsa; p=" + dkim_key_make(private)
    return {
        "MAILING_DKIM_KEY_PATH": str(private),
        "MAILING_DKIM_SELECTOR": DKIM_SELECTOR,
        "MAILING_DKIM_DOMAIN": DKIM_DOMAIN,
    }


def _collected_static_current() -> bool:
    """Whether STATIC_ROOT's manifest (as `make run` leaves it) covers our static files.

    Collecting takes 10 to 20 seconds on a busy machine, mostly hashing Django's own
    admin files, which change only with Django; ours are few, so compare those.
    """
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    collected_at = manifest.stat().st_mtime
    listed = json.loads(manifest.read_text()).get("paths", {})
    for static_dir in settings.STATICFILES_DIRS:
        for path in Path(static_dir).rglob("*"):
            if path.is_file() and (
                path.stat().st_mtime >= collected_at
                or path.relative_to(static_dir).as_posix() not in listed
            ):
                return False
    return True


def _spawn(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    # A process group of its own: the worker starts a child task worker, and
    # the server its worker processes; the teardown stops each whole group.
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _wait_until_serving(url: str, processes: list[subprocess.Popen], app: LiveApp) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} exited early\n{app.logs()}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {STARTUP_TIMEOUT}s\n{app.logs()}")


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop in this thread, which makes Django
    refuse ORM calls; the tests' ORM calls between browser steps are ordinary
    blocking calls, made while no browser call runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser_database(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The test database, even when no test in this run asked pytest-django for one.

    pytest-django creates it only if some collected test uses the `db` fixture or the
    `django_db` mark; the browser tests use neither (they must not run inside a
    transaction that is rolled back, nor be flushed after every test).
    """
    own_setup = sqlite_dir = None
    with django_db_blocker.unblock():
        if connection.settings_dict["NAME"] == ORIGINAL_DATABASE_NAME:
            _close_pool()
            if connection.vendor == "sqlite" and not connection.settings_dict["TEST"]["NAME"]:
                # In a file, not in memory, so that the servers can open it too.
                sqlite_dir = Path(tempfile.mkdtemp(prefix="chorus-browser-db-"))
                connection.settings_dict["TEST"]["NAME"] = str(sqlite_dir / "test.sqlite3")
            own_setup = setup_databases(verbosity=0, interactive=False, aliases={"default"})
            _close_pool()
        test_name = connection.settings_dict["NAME"]
        assert test_name != ORIGINAL_DATABASE_NAME, "refusing to run on a real database"
        yield
        # What the browser made was committed; leave the test database as empty as
        # pytest-django's other tests expect to find it.
        assert connection.settings_dict["NAME"] == test_name
        call_command("flush", interactive=False, verbosity=0)  # audit log: tests/conftest.py
        connection.close()
        if own_setup is not None:
            teardown_databases(own_setup, verbosity=0)
        if sqlite_dir is not None:
            shutil.rmtree(sqlite_dir, ignore_errors=True)


def _close_pool() -> None:
    connection.close()
    if connection.vendor == "postgresql":
        connection.close_pool()


@pytest.fixture(scope="package", autouse=True)
def collected_static() -> Iterator[Callable[[], None]]:
    """Collects static files (if they changed) while the test database is being made."""
    if _collected_static_current():
        yield lambda: None
        return
    with tempfile.TemporaryFile() as output:
        collecting = subprocess.Popen(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=REPO,
            env=_production_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )

        def wait() -> None:
            if collecting.wait(timeout=STARTUP_TIMEOUT) != 0:
                output.seek(0)
                raise RuntimeError(f"collectstatic failed:\n{output.read().decode()}")

        yield wait
        if collecting.poll() is None:
            collecting.kill()
            collecting.wait()


@pytest.fixture(scope="package")
def live_app(browser_database, collected_static, django_db_blocker, inbox) -> Iterator[LiveApp]:
    work_dir = Path(tempfile.mkdtemp(prefix="chorus-browser-"))
    app_port = free_port()
    app = LiveApp(url=f"http://127.0.0.1:{app_port}", log_dir=work_dir)
    processes: list[subprocess.Popen] = []
    with django_db_blocker.unblock():
        # The demo stores its image where the servers below look for media.
        with override_settings(DATA_DIR=work_dir, MEDIA_ROOT=work_dir / "media"):
            call_command("chorus_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        env = _server_env(app_port, inbox.port, work_dir)
        app.secret_key = env["SECRET_KEY"]
        env.update(_dkim_env(work_dir, app))
        app.env = env
        try:
            collected_static()
            processes.append(
                _spawn(
                    # The application server production runs (scripts/run.sh).
                    [str(Path(PYTHON).parent / "granian"), "--interface", "wsgi"]
                    + ["--host", "127.0.0.1", "--port", str(app_port), "--workers", "2"]
                    + ["--blocking-threads", "8", "--no-ws", "--respawn-failed-workers"]
                    + ["chorus.wsgi:application"],
                    env,
                    work_dir / "server.log",
                )
            )
            processes.append(
                _spawn([PYTHON, "manage.py", "chorus_worker"], env, work_dir / "worker.log")
            )
            _wait_until_serving(app.url, processes, app)
            yield app
        finally:
            for process in processes:
                _stop(process)
            shutil.rmtree(work_dir, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report ends with what the server and worker logged."""
    report = yield
    app = getattr(item, "funcargs", {}).get("live_app")
    if report.failed and isinstance(app, LiveApp):
        report.sections.append(("chorus server and worker logs", app.logs()))
    return report


@pytest.fixture(autouse=True)
def _orm_access(django_db_blocker) -> Iterator[None]:
    """The tests read what the server committed, outside any test transaction."""
    with django_db_blocker.unblock():
        yield
        # While Playwright runs, Django keeps connections per asyncio context rather
        # than per thread, so pytest-django's own closing at the end never sees this
        # one, and dropping the test database would fail for a session left open.
        connection.close()


# --- The browser ----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageWatch:
    """What must never happen on any page: dialogs, script errors, server errors."""

    dialogs: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    server_errors: list = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on(
            "response",
            lambda response: (
                response.status >= 500
                and self.server_errors.append(f"{response.status} {response.url}")
            ),
        )

    def assert_clean(self, server_logs: Callable[[], str]) -> None:
        assert self.dialogs == [], "a dialog fired"
        assert self.page_errors == [], "a script failed"
        assert self.server_errors == [], f"the server answered with an error\n{server_logs()}"


@pytest.fixture
def open_page(browser, live_app) -> Iterator[Callable[..., Page]]:
    """Opens a page in a fresh browser context (its own cookies), as a new visitor."""
    contexts = []
    watches = []

    def open_(**context_options) -> Page:
        options = {"locale": "en-GB", "viewport": {"width": 1280, "height": 900}}
        options.update(context_options)
        context = browser.new_context(base_url=live_app.url, **options)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch()
        watch.attach(page)
        watches.append(watch)
        return page

    yield open_
    for context in contexts:
        context.close()
    for watch in watches:
        watch.assert_clean(live_app.logs)


@pytest.fixture
def page(open_page) -> Page:
    return open_page()


@pytest.fixture
def shoot(request) -> Callable[[Page, str], None]:
    """Keeps a screenshot of the page, to look at when a test fails (not committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    test_name = request.node.name.removeprefix("test_")

    def shoot_(page: Page, name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{test_name}--{name}.png"), full_page=True)

    shoot_.directory = SHOTS
    return shoot_


# --- Helpers the tests share ----------------------------------------------------------------


def fill_sign_form(
    page: Page,
    *,
    email_address: str,
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    country: str = "GB",
    postcode: str = "N1 0AA",
    comment: str = "",
    show_name: bool = False,
) -> None:
    # A browser that signed here sees its state in place of the form (petition.js, once
    # me.json answered, as the CSRF token is filled in); signing again opens the form.
    if page.locator("[data-signed-state]").count():
        expect(page.locator("[data-csrf]")).not_to_have_value("")
        if page.locator("[data-signed-state]").is_visible():
            page.click("[data-sign-again]")
    page.fill("#id_first_name", first_name)
    page.fill("#id_last_name", last_name)
    page.fill("#id_email", email_address)
    page.select_option("#id_country", country)
    page.fill("#id_postcode", postcode)
    if comment:
        page.fill("#id_comment", comment)
    if show_name:
        page.check("#id_show_name")


def submit_sign_form(page: Page):
    """Presses Sign once the page's script has filled in the CSRF token; returns the response."""
    expect(page.locator("[data-csrf]")).not_to_have_value("")
    with page.expect_navigation() as navigation:
        page.click("form[data-sign-form] button[type=submit]")
    return navigation.value


def wait_for_counts_settled(timeout: float = COUNT_TIMEOUT) -> None:
    """Until the worker has folded every changed signature into the counts, and every
    server process's kept copy of the page is old enough to be rendered again."""
    deadline = time.monotonic() + timeout
    while Signature.objects.filter(count_dirty=True).exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker did not fold the counts within {timeout}s")
        time.sleep(0.2)
    # Each process keeps its rendered page this long (a TTL, so waiting is the only way).
    time.sleep(PAGE_CACHE_SECONDS + 0.3)


def displayed_count(page: Page) -> int:
    return int(page.locator("[data-count]").inner_text().replace(",", ""))


def expect_after_reload(page: Page, check: Callable[[], None], timeout: float) -> None:
    """Reloads the page until `check` (a short Playwright expectation) passes."""
    deadline = time.monotonic() + timeout
    while True:
        page.reload()
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def expect_count_after_reload(page: Page, expected: int, timeout: float = COUNT_TIMEOUT) -> None:
    """Reloads the petition page until it shows `expected` (the fold runs every 0.5s)."""
    count = page.locator("[data-count]")
    expect_after_reload(
        page, lambda: expect(count).to_have_text(str(expected), timeout=3_000), timeout
    )


def code_from_secret(secret: str) -> str:
    """The current code an authenticator app shows for this base32 key, as the page gives it."""

    from django_otp.oath import totp

    key = secret.replace(" ", "").upper()
    return f"{totp(base64.b32decode(key + '=' * (-len(key) % 8))):06d}"


def staff_sign_in(page: Page, *, username: str, password: str, secret: str = "") -> None:
    """Signs in through the staff sign-in pages; with the app's key, confirms with a code
    too (staff who can see signatures need one: see orgs/signin.py)."""
    page.goto("/staff/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")
    if secret:
        expect(page.locator("#id_code")).to_be_visible()
        page.fill("#id_code", code_from_secret(secret))
        page.click("button.primary")
