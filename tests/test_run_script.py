"""scripts/run.sh (`make run`) as a newcomer meets it: started in a fresh copy, clicked, Ctrl-C.

The script runs in its own session, as a terminal runs a foreground command, and Ctrl-C is
SIGINT to that command's process group. The checks wait with a deadline, so a script that
never prints its URL or never stops fails the test instead of hanging it.
"""

import os
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.checkout import checkout_copy, free_port, newcomer_env, port_is_free

pytestmark = pytest.mark.processes

STARTUP_DEADLINE = 240  # seconds: collectstatic, migrate and the demo on a busy machine
STOP_DEADLINE = 15  # seconds: run.sh's grace (5) and the interpreters' exit, with margin


class Script:
    """A running script, its output collected line by line as it comes."""

    def __init__(self, *, cwd: Path, env: dict, args=()):
        self.process = subprocess.Popen(
            ["scripts/run.sh", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def line_starting(self, prefix: str, *, within: float) -> str:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if line.startswith(prefix):
                    return line
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line starting {prefix!r}; the script said:\n{self.output}")

    def processes(self) -> set[int]:
        """Every process in the script's session: itself and all it started."""
        return {pid for pid in _pids() if _session_of(pid) == self.process.pid}

    def kill_all(self):
        for pid in self.processes():
            with _gone_already():
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_DEADLINE)


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _session_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # After the command name in brackets: state, parent, process group, session.
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[3])


class _gone_already:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        return kind is ProcessLookupError


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
            return True
    except OSError:
        return False


def _until(condition, *, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`make run` in a fresh copy with its own data folder, started once for this module."""
    root = tmp_path_factory.mktemp("run")
    checkout = checkout_copy(root / "chorus")
    port = free_port()
    env = newcomer_env(PORT=str(port), DATA_DIR=str(root / "var"), WEB_CONCURRENCY="2")
    script = Script(cwd=checkout, env=env)
    script.port, script.checkout, script.env, script.data_dir = port, checkout, env, root / "var"
    try:
        yield script
    finally:
        script.kill_all()


def test_it_prints_the_demo_url_only_once_the_server_answers_it(demo):
    line = demo.line_starting("Demo petition: ", within=STARTUP_DEADLINE)
    url = line.removeprefix("Demo petition: ").strip()
    assert url.startswith(f"http://127.0.0.1:{demo.port}/")

    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (checked above)
        assert response.status == 200
        assert "Stop the scraping of our photos" in response.read().decode()


def test_its_banner_says_that_mail_shows_in_the_terminal_and_where_it_is_kept(demo):
    line = demo.line_starting("Mail: ", within=STARTUP_DEADLINE)

    assert "shows here" in line
    assert f"{demo.data_dir}/mail/" in line


def test_a_second_run_on_the_same_port_is_refused_with_a_clear_message(demo):
    demo.line_starting("run: serving on", within=STARTUP_DEADLINE)

    second = subprocess.run(
        ["scripts/run.sh"],
        cwd=demo.checkout,
        env=demo.env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert second.returncode != 0
    assert f"port {demo.port} on 127.0.0.1 is in use" in second.stderr


def test_ctrl_c_stops_everything_it_started_and_frees_the_port(demo):
    demo.line_starting("Demo petition: ", within=STARTUP_DEADLINE)
    assert _until(lambda: _answers(demo.port), within=STARTUP_DEADLINE), demo.output
    started = demo.processes()
    assert len(started) >= 4, demo.output  # the script, the worker, granian and its workers

    os.killpg(demo.process.pid, signal.SIGINT)

    assert _until(lambda: not demo.processes(), within=STOP_DEADLINE), (
        f"still running after Ctrl-C: {sorted(demo.processes())}\n{demo.output}"
    )
    assert demo.process.wait(timeout=1) == 130
    assert port_is_free(demo.port)
