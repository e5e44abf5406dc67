"""bench/capacity.py: CPU from /proc samples, and the sizing model built on them."""

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import capacity
from bench.capacity import Costs

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int, name: str, ppid: int, utime: int, stime: int, cutime=0, cstime=0) -> str:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    # utime stime cutime cstime ...
    return (
        f"{pid} ({name}) S {ppid} {pid} {pid} 0 -1 4194304 100 0 0 0 "
        f"{utime} {stime} {cutime} {cstime} 20 0 1 0 12345 1000000 100 0\n"
    )


def test_it_reads_own_and_reaped_ticks_even_with_spaces_and_parentheses_in_the_name():
    line = _stat(42, "postgres: chorus (1) idle", 7, utime=30, stime=12, cutime=5, cstime=3)

    assert capacity.stat_fields(line) == (7, 42, 8)


def test_it_reads_this_processs_real_stat_line():
    ppid, own, reaped = capacity.stat_fields(Path(f"/proc/{os.getpid()}/stat").read_text())

    assert ppid == os.getppid()
    assert own >= 0 and reaped >= 0


def test_a_tree_counts_the_root_and_every_descendant_but_nothing_outside():
    table = {
        1: (0, 1000, 0),  # init: not ours
        10: (1, 5, 0),  # postmaster
        11: (10, 40, 0),  # a backend
        12: (11, 7, 0),  # a descendant of a backend
        20: (1, 300, 0),  # some other program
    }

    assert capacity.tree_ticks(table, 10) == 52
    assert capacity.tree_pids(table, 10) == [10, 11, 12]
    assert capacity.tree_ticks(table, 99) == 0


def test_a_backend_that_exits_between_samples_is_counted_whole_and_once():
    before = {10: (1, 5, 0), 11: (10, 40, 0)}
    # The backend used 60 more ticks, exited and was reaped: its 100 moved to the parent.
    after = {10: (1, 6, 100), 12: (10, 9, 0)}  # and a new backend started, used 9

    used = capacity.tree_ticks(after, 10) - capacity.tree_ticks(before, 10)

    assert used == 1 + 60 + 9


def test_the_real_tree_of_this_process_includes_a_child_that_burned_cpu_and_exited():
    tiers = capacity.Tiers()
    tiers.add("tests", os.getpid())
    before = tiers.sample()
    burn = "import time\nwhile time.process_time() < 0.3: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)

    used = capacity.cpu_delta(before, tiers.sample())["tests"]

    assert used >= 0.25  # the child's 0.3 s of CPU, within a tick or two of rounding


def test_cpu_delta_counts_a_tier_that_appeared_from_zero():
    assert capacity.cpu_delta({"web": 1.5}, {"web": 4.0, "workers": 2.25}) == {
        "web": 2.5,
        "workers": 2.25,
    }


def test_cost_per_unit_is_in_milliseconds_and_none_without_units():
    assert capacity.ms_per_unit(3.0, 1500) == 2.0
    assert capacity.ms_per_unit(3.0, 0) is None


PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:D855 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 5001 1
   1: 0100007F:A001 0100007F:D855 01 00000000:00000000 00:00000000 00000000     0        0 6001 1
   2: 0100007F:A002 0100007F:D855 01 00000000:00000000 00:00000000 00000000     0        0 6002 1
   3: 0100007F:A003 0100007F:D855 06 00000000:00000000 00:00000000 00000000     0        0 6003 1
   4: 0100007F:A004 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 6004 1
"""


def test_it_reads_ports_states_and_inodes_from_proc_net_tcp():
    sockets = capacity.tcp_sockets(PROC_NET_TCP)

    assert sockets[0] == (0xD855, 0, "0A", 5001)
    assert sockets[1] == (0xA001, 0xD855, "01", 6001)
    assert len(sockets) == 5


def test_a_process_owns_only_its_established_connections_to_the_database_port():
    sockets = capacity.tcp_sockets(PROC_NET_TCP)
    inodes = {100: {6001, 6002, 6003}, 200: {6004}, 300: set()}

    ports = capacity.client_ports_by_pid(sockets, inodes, 0xD855)

    # 6003 is closing (TIME_WAIT) and 6004 goes to another port.
    assert ports == {100: {0xA001, 0xA002}, 200: set(), 300: set()}


def test_it_finds_the_process_listening_on_a_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        assert capacity.listening_pid(listener.getsockname()[1]) == os.getpid()


COSTS = Costs(
    web_ms_per_signature=2.0,
    pg_ms_per_signature=0.5,
    fold_ms_per_signature=0.1,
    page_ms_per_view=0.02,
    wal_bytes_per_signature=1500,
    confirm_worker_ms=3.0,
    confirm_pg_ms=0.4,
    confirm_wal_bytes=800,
    mail_worker_ms=1.5,
    mail_pg_ms=0.3,
    mail_wal_bytes=600,
    busy_seconds_per_signature=0.004,
    busy_seconds_per_confirmation=0.01,
    busy_seconds_per_email=0.002,
    connections_per_web_process=8,
    connections_per_worker_process=5,
)


def test_cores_are_rate_times_cost_over_the_utilisation_kept():
    # 1,000 a second at 2 ms is two cores flat out, 2.5 kept at 80 %.
    assert capacity.cores(1000, 2.0, 1.0) == 2.0
    assert capacity.cores(1000, 2.0, 0.8) == pytest.approx(2.5)


@pytest.mark.parametrize("utilisation", [0, -0.5, 1.2])
def test_a_utilisation_outside_a_core_is_refused(utilisation):
    with pytest.raises(ValueError, match="utilisation"):
        capacity.cores(1000, 2.0, utilisation)


def test_signature_sizing_adds_page_views_confirmation_and_fold_to_the_right_tiers():
    row = capacity.signature_sizing(COSTS, 10_000, page_views=5, utilisation=0.5)

    assert row["web_cores"] == 42.0  # 10,000 x (2.0 + 5 x 0.02) ms / 0.5
    assert row["pg_cores"] == 18.0  # 10,000 x (0.5 + 0.4) ms / 0.5
    assert row["worker_cores"] == 62.0  # 10,000 x (0.1 + 3.0) ms / 0.5
    assert row["fold_share_of_a_core"] == 1.0  # the fold is one process: a whole core
    assert row["wal_mb_per_s"] == 23.0  # 10,000 x 2,300 bytes
    assert row["web_processes"] == 42
    assert row["worker_processes"] == 62
    assert row["client_connections"] == 42 * 8 + 62 * 5
    assert row["busy_connections"] == 280  # 10,000 x (0.004 + 0.01) s / 0.5


def test_signature_sizing_without_confirmation_emails_leaves_them_out():
    row = capacity.signature_sizing(COSTS, 1000, page_views=0, utilisation=1.0, confirm=False)

    assert row["pg_cores"] == 0.5
    assert row["worker_cores"] == 0.1
    assert row["worker_processes"] == 2  # never fewer than two, for redundancy
    assert row["wal_mb_per_s"] == 1.5


def test_mailing_sizing_for_ten_million_in_an_hour():
    row = capacity.mailing_sizing(COSTS, 10_000_000, 3600, utilisation=0.5)

    assert row["rate"] == 2778
    assert row["worker_cores"] == pytest.approx(8.3)  # 2,778/s x 1.5 ms / 0.5
    assert row["pg_cores"] == pytest.approx(1.7)
    assert row["wal_mb_per_s"] == pytest.approx(1.7)
    assert row["worker_processes"] == 9
    assert row["client_connections"] == 45
    assert row["busy_connections"] == 12  # 2,778 x 0.002 s / 0.5, rounded up


def _phase(ms: dict, wal: int, busy: float, web_open: int, workers_open: int) -> dict:
    return {
        "ms_per_unit": ms,
        "wal_bytes_per_unit": wal,
        "busy_seconds_per_unit": busy,
        "connections": {
            "web": {"peak_open_per_process": web_open},
            "workers": {"peak_open_per_process": workers_open},
        },
    }


def test_the_costs_come_from_a_runs_phases():
    results = {
        "sign": _phase({"web": 2.0, "postgresql": 0.5, "workers": 0.1}, 1500, 0.004, 8, 1),
        "page": _phase({"web": 0.02}, 0, 0, 0, 0),
        "confirm": _phase({"postgresql": 0.4, "workers": 3.0}, 800, 0.01, 0, 4),
        "mailing": _phase({"postgresql": 0.3, "workers": 1.5}, 600, 0.002, 0, 5),
    }

    assert capacity.costs_from(results) == COSTS


def test_the_model_takes_each_cost_at_its_highest_over_the_runs():
    quieter = dataclasses.replace(COSTS, web_ms_per_signature=1.5, mail_pg_ms=0.9)

    highest = capacity.costs_highest([COSTS, quieter])

    assert highest.web_ms_per_signature == 2.0
    assert highest.mail_pg_ms == 0.9
    assert highest.page_ms_per_view == COSTS.page_ms_per_view


def _wait_for_child(pid: int) -> None:
    for _ in range(200):  # the shell forks its child at once; bounded all the same
        if capacity.tree_pids(capacity.process_table(), pid)[1:]:
            return
        time.sleep(0.01)


def test_a_server_tiers_working_processes_are_its_children_and_a_lone_process_itself():
    server = subprocess.Popen(["sh", "-c", "sleep 30 & wait"], start_new_session=True)
    lone = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        _wait_for_child(server.pid)
        tiers = capacity.Tiers()
        tiers.add("web", server.pid)
        tiers.add("workers", lone.pid)

        web = tiers.processes("web")

        assert server.pid not in web and len(web) == 1
        assert tiers.processes("workers") == [lone.pid]
    finally:
        for process in (server, lone):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
