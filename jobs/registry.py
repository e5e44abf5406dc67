"""What the ledger runs: job kinds and periodic loops, declared by the apps that own them.

Each app lists its own in `<app>/jobs.py`; `jobs.apps` imports every such module at
start-up (autodiscovery), so the ledger names no app. A kind or loop registered
twice is a start-up error: silently replacing a handler would send one app's work
to another's code.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Loop:
    name: str
    interval: Callable[[], float]  # seconds; read at each turn so settings can change it
    run: Callable[[], int | None]  # returns how much it did, for the worker's idle sleep


KINDS: dict[str, Callable[[dict], None]] = {}
# Kinds that can also run several jobs at once (jobs.registry.job_batch).
BATCH_KINDS: dict[
    str, Callable[[list[dict], Callable[[int], bool]], Iterable[BaseException | None]]
] = {}
LOOPS: dict[str, Loop] = {}


def _origin(func) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def _register(table: dict, what: str, name: str, entry, func) -> None:
    known = table.get(name)
    known_func = getattr(known, "run", known)
    # The same function again is the same module imported twice, not a clash.
    if known is not None and _origin(known_func) != _origin(func):
        raise ImproperlyConfigured(
            f"{what} {name!r} is registered twice: by {_origin(known_func)} and by {_origin(func)}"
        )
    table[name] = entry


def job_kind(kind: str):
    """Register the function that runs ledger jobs of this kind (it gets the payload)."""

    def register(func):
        _register(KINDS, "Job kind", kind, func, func)
        return func

    return register


def job_batch(kind: str):
    """Register a function that runs several jobs of this kind at once, besides `job_kind`'s.

    It gets their payloads and `keep`, and gives one outcome for each, in order: None
    when that job is done, else the exception it failed with (that job alone is retried).
    Better a generator that yields each outcome as that job is finished than a list at
    the end: the ledger marks finished jobs done as they come (jobs.services.MARK_EVERY at
    a time), so a worker killed mid-batch repeats only the few not yet marked.
    Before the work of payload i it calls `keep(i)`: False means the job's lease ran out
    and another worker has it, so it must be left alone. What is worth sharing (a query,
    a transaction, the mail connection) is shared by the batch.
    """

    def register(func):
        _register(BATCH_KINDS, "Batch job kind", kind, func, func)
        return func

    return register


def periodic(name: str, *, every: float | Callable[[], float]):
    """Register a function chorus_worker calls every `every` seconds.

    It should return how much work it did (0 when idle), and take a lock of its own
    if only one worker at a time may run it.
    """
    interval = every if callable(every) else (lambda: every)

    def register(func):
        _register(LOOPS, "Periodic loop", name, Loop(name, interval, func), func)
        return func

    return register


# Leased sources besides the job ledger (a mailing's recipients): each drainer claims and
# runs one batch and returns how much it did. chorus_worker's job threads call them only
# when the ledger has nothing due, so transactional jobs always go first.
DRAINERS: dict[str, Callable[[], int]] = {}


def drainer(name: str):
    """Register a function the job threads call to drain one batch of another leased table."""

    def register(func):
        _register(DRAINERS, "Drainer", name, func, func)
        return func

    return register
