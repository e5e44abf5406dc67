"""The real `manage.py chorus_worker` in a process of its own, against the test database,
for the tests that kill it mid-send: PostgreSQL only, since another process cannot open
SQLite's in-memory test database."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

from aiosmtpd.controller import Controller
from django.db import connection

from tests.mailings.smtp_server import Inbox, free_port

REPO = Path(__file__).resolve().parents[1]


class SlowInbox(Inbox):
    """Takes a couple of milliseconds per message, so a kill lands mid-send."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(0.002)
        return await super().handle_DATA(server, session, envelope)


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return (
        f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or '127.0.0.1'}"
        f"{port}/{quote(db['NAME'], safe='')}"
    )


def worker_start(*, smtp_port: int, threads: int, log: Path, **settings: str) -> subprocess.Popen:
    """A worker in its own session (so killpg reaches it all), mailing to `smtp_port`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CHORUS_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "REDIS_URL"}
        and not key.startswith("PYTEST_")
    }
    env.update(
        SECRET_KEY="kill-resume-" + uuid4().hex,
        IP_HASH_KEY="kill-resume-ip-" + uuid4().hex,
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        DATABASE_URL=database_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        BASE_URL="https://act.openfaces.example",
        ALLOWED_HOSTS="act.openfaces.example",
        LOG_LEVEL="WARNING",
        **settings,
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "chorus_worker", "--nice", "0"]
        + ["--threads", str(threads), "--idle-sleep", "0.05"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(condition, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n{log.read_text()}")
        time.sleep(0.05)


def killed_and_resumed(
    start: Callable[[int, Path], subprocess.Popen],
    *,
    emails: int,
    finished: Callable[[list[str]], bool],
    log: Path,
) -> Counter:
    """Start a worker (`start(smtp_port, log)`), SIGKILL it a quarter of the way through
    `emails`, start another and wait until `finished(addresses received so far)`. Returns
    how many messages each address received, over both workers."""
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    worker = start(controller.port, log)
    try:
        wait_for(lambda: len(inbox.addresses()) >= emails // 4, 60, "a quarter sent", log)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert len(inbox.addresses()) < emails, "the worker finished before it was killed"

        worker = start(controller.port, log)
        wait_for(lambda: finished(inbox.addresses()), 90, "the work finished", log)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        controller.stop()
    return Counter(inbox.addresses())
