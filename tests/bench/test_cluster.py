"""The pure parts of the cluster drill (bench/cluster.py): addresses, the haproxy and
pgbouncer configuration, and the checks that decide whether the drill passed."""

import ipaddress
import re
import sys
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import cluster  # noqa: E402
from cluster import Fault  # noqa: E402


def test_every_node_has_its_own_namespace_and_address_in_the_benchmarking_range():
    nodes = cluster.topology("netns")
    addresses = [ipaddress.ip_address(node.address) for node in nodes.values()]
    assert len(set(addresses)) == len(addresses)
    assert all(a in ipaddress.ip_network("198.18.0.0/15") for a in addresses)
    assert {node.namespace for node in nodes.values()} == {f"chorus-{n}" for n in nodes}
    assert nodes["web1"].run(["granian"]) == ["ip", "netns", "exec", "chorus-web1", "granian"]


def test_on_loopback_each_serving_node_has_its_own_port_in_the_lane_range():
    nodes = cluster.topology("loopback")
    ports = [node.port for node in nodes.values() if node.port]
    assert len(set(ports)) == len(ports)
    assert all(57400 <= port <= 57499 for port in ports)
    assert nodes["web1"].run(["granian"]) == ["granian"]


def _haproxy():
    nodes = cluster.topology("netns")
    return cluster.haproxy_config(
        lb=nodes["lb"], webs=[nodes["web1"], nodes["web2"]], stats_socket=Path("/x/h.sock")
    )


def _milliseconds(config: str, name: str) -> int:
    return int(re.search(rf"\b{name} (\d+)ms", config).group(1))


def test_haproxy_takes_a_dead_web_node_out_within_two_seconds():
    config = _haproxy()
    falls = int(re.search(r"\bfall (\d+)", config).group(1))
    # A node that stops answering: each failed check waits out the check timeout.
    worst = falls * (_milliseconds(config, "inter") + _milliseconds(config, "timeout check"))
    assert worst <= 2000
    assert "server web1 198.18.0.11:8000 check" in config
    assert "server web2 198.18.0.12:8000 check" in config
    assert "bind 198.18.0.10:80" in config


def test_haproxy_never_sends_a_signature_twice():
    # Only a refused connection is retried elsewhere; a request already sent is not.
    config = _haproxy()
    assert "option redispatch" in config
    assert "retry-on" not in config


def test_haproxy_checks_health_with_an_allowed_host():
    assert "uri /healthz ver HTTP/1.1 hdr Host 198.18.0.10" in _haproxy()


def test_pgbouncer_pools_transactions_in_front_of_the_primary():
    nodes = cluster.topology("netns")
    config = cluster.pgbouncer_config(
        bouncer=nodes["bouncer"], primary=nodes["pg1"], auth_file=Path("/x/users"),
        pid_file=Path("/x/pid"),
    )  # fmt: skip
    assert "pool_mode = transaction" in config
    assert "chorus_cluster = host=198.18.0.31 port=5432 dbname=chorus_cluster" in config
    assert "listen_addr = 198.18.0.33" in config


def test_web_and_worker_nodes_reach_the_primary_through_the_pooler_and_read_the_replica():
    env = cluster.node_env({"PATH": "/bin"}, cluster.topology("netns"), lease_seconds=5, batch=20)
    assert env["DATABASE_URL"] == "postgres://postgres@198.18.0.33:6432/chorus_cluster"
    assert env["DATABASE_POOLER"] == "pgbouncer-transaction"
    assert env["DATABASE_PREPARE_THRESHOLD"] == "none"  # pgbouncer 1.18 keeps none
    assert env["DATABASE_REPLICA_URL"] == "postgres://postgres@198.18.0.32:5432/chorus_cluster"
    assert env["MAILING_LEASE_SECONDS"] == "5"
    assert env["MAILING_MARK_EVERY"] == "10"
    assert env["PATH"] == "/bin"


def _steady(start: float, end: float, per_second: int = 10, ok: bool = True):
    count = int((end - start) * per_second)
    return [(start + n / per_second, ok) for n in range(count)]


def test_recovery_counts_the_errors_until_the_rate_is_back_without_failures():
    series = _steady(90, 100) + _steady(100, 101.5, ok=False) + _steady(101.5, 120)
    found = cluster.recovery(series, Fault("web", 100, 100), horizon=120)
    assert found["baseline_per_s"] == 10
    assert found["recovered_after_s"] == 1.5
    assert found["failed"] == 15
    assert found["error_rate"] == 1.0


def test_recovery_waits_for_the_fault_itself_to_be_over():
    series = _steady(90, 120)  # nothing failed, but the link was down until 110
    found = cluster.recovery(series, Fault("cut", 100, 110), horizon=120)
    assert found["recovered_after_s"] == 10
    assert found["failed"] == 0


def test_a_fault_that_never_recovers_says_so():
    series = _steady(90, 100) + _steady(100, 120, per_second=2)  # a fifth of the rate
    found = cluster.recovery(series, Fault("slow", 100, 100), horizon=120)
    assert found["recovered_after_s"] is None
    assert found["events"] == 40


def test_mail_outcome_finds_skipped_and_repeated_recipients():
    ledger = {"a@x.org": "done", "b@x.org": "done", "c@x.org": "due"}
    received = Counter({"a@x.org": 1, "b@x.org": 3, "signer@x.org": 1})
    found = cluster.mail_outcome(ledger, received)
    assert found["skipped"] == 1
    assert found["skipped_examples"] == ["c@x.org"]
    assert found["repeats"] == 2
    assert found["done"] == 2
    assert found["strangers"] == 1  # not in the mailing: a signer's email


def test_repeats_allowed_are_the_messages_in_flight_per_thread_of_each_worker_killed_or_cut():
    faults = [Fault("web", 0, 0), Fault("kill", 1, 1, victim_threads=4),
              Fault("cut", 2, 12, victim_threads=4)]  # fmt: skip
    assert cluster.repeats_allowed(faults) == 8
    # Marked done ten at a time: ten in flight per thread.
    assert cluster.repeats_allowed(faults, in_flight_per_thread=10) == 80


def test_the_last_line_reads_as_the_issue_asks():
    line = cluster.last_line(lost=0, doubled=0, skipped=0, repeats=3, counts_equal=True)
    assert line == "drill: lost 0, doubled 0, skipped 0, repeats 3, counts equal"
    line = cluster.last_line(lost=1, doubled=2, skipped=3, repeats=4, counts_equal=False)
    assert line == "drill: lost 1, doubled 2, skipped 3, repeats 4, counts differ"


def _checks(**changes):
    given = dict(
        sign={"lost": 0, "doubled": 0}, mail={"skipped": 0, "repeats": 2}, allowed_repeats=8,
        counted=10, recounted=10, web_out_after=0.6, mailing_sending={"a worker died": True},
    )  # fmt: skip
    given.update(changes)
    return cluster.checks(**given)


def test_the_checks_pass_when_everything_holds():
    assert all(ok for _, ok in _checks())


def test_the_checks_fail_on_any_loss_skip_excess_repeat_or_miscount():
    for changes in (
        {"sign": {"lost": 1, "doubled": 0}},
        {"sign": {"lost": 0, "doubled": 1}},
        {"mail": {"skipped": 1, "repeats": 0}},
        {"mail": {"skipped": 0, "repeats": 9}},
        {"recounted": 11},
        {"web_out_after": 2.5},
        {"web_out_after": None},
        {"mailing_sending": {"a worker died": False}},
    ):
        assert not all(ok for _, ok in _checks(**changes)), changes
