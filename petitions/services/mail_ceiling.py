"""The mail ceiling: how much email may go to addresses nobody has proven to own."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from petitions.models import MailAllowance


@dataclass(frozen=True)
class _Ceiling:
    interval: timedelta  # at least this long between two emails
    per_window: int  # at most this many emails ...
    window: timedelta  # ... in a window this long from its first


def _ceilings(address: str, network: str) -> dict[str, _Ceiling]:
    ceilings = {
        _allowance_key("address", address): _Ceiling(
            timedelta(seconds=settings.UNVERIFIED_MAIL_INTERVAL),
            settings.UNVERIFIED_MAIL_PER_DAY,
            timedelta(days=1),
        )
    }
    if network and settings.UNVERIFIED_MAIL_PER_NETWORK_HOUR:
        ceilings[_allowance_key("network", network)] = _Ceiling(
            timedelta(), settings.UNVERIFIED_MAIL_PER_NETWORK_HOUR, timedelta(hours=1)
        )
    return ceilings


def _allowance_key(kind: str, value: str) -> str:
    return salted_hmac(f"chorus.petitions.mail.{kind}", value, algorithm="sha256").hexdigest()


@dataclass
class MailPermit:
    """The mail ceiling's answer: `granted`, or held (until `retry_at`, if ever)."""

    granted: bool
    retry_at: datetime | None = None
    # What each allowance was before this permit took from it, to give it back.
    taken: list = field(default_factory=list)


def _held_until(allowance: "_Allowance", ceiling: _Ceiling, now: datetime) -> datetime | None:
    waits = []
    if allowance.last_sent_at and allowance.last_sent_at + ceiling.interval > now:
        waits.append(allowance.last_sent_at + ceiling.interval)
    window_ends = allowance.window_started_at + ceiling.window
    if window_ends > now and allowance.sent_in_window >= ceiling.per_window:
        waits.append(window_ends)
    return max(waits, default=None)


_ALLOWANCE_FIELDS = ["last_sent_at", "window_started_at", "sent_in_window", "taken_by"]


def unverified_mail_permit(*, email_key: str, network: str = "", holder: str = "") -> MailPermit:
    """May one more email go to this unverified address now? If so, it is counted.

    Every email to an address nobody has proven to own asks here first (through
    petitions.jobs.unverified_mail_send): at most one every
    UNVERIFIED_MAIL_INTERVAL seconds and UNVERIFIED_MAIL_PER_DAY a day per email
    key, whichever path sends it, and at most UNVERIFIED_MAIL_PER_NETWORK_HOUR an
    hour caused from one client network (`network`, from network_key()). Both are
    taken together or not at all, in the database, so the ceiling is one across
    processes and machines. `retry_at` says when the address may have mail again;
    a mail held by its network has none.

    `holder` names the one email asking (say "confirm:<signature id>"). When the
    address's allowance was last taken by that same email, the permit is granted
    without taking again: its earlier attempt was counted, and then its worker was
    killed before the send was marked (or before it was made). Without this, a killed
    worker's unsent confirmations waited UNVERIFIED_MAIL_INTERVAL behind themselves.
    """
    return unverified_mail_permits(requests=[(email_key, network)], holders=[holder])[0]


def unverified_mail_permits(
    *, requests: list[tuple[str, str]], holders: list[str] | None = None
) -> list[MailPermit]:
    """`unverified_mail_permit` for several (email key, network) at once, in one transaction.

    Taken in order, as if asked one after the other: a second email to the same address
    or network in the batch sees the first one counted. A confirmation backlog drains a
    batch at a time, and one transaction per email was a sixth of its CPU.
    """
    if not requests:
        return []
    holders = holders or [""] * len(requests)
    wanted = [_ceilings(email_key, network) for email_key, network in requests]
    keys = sorted({key for ceilings in wanted for key in ceilings})
    with transaction.atomic():
        now = timezone.now()
        _allowances_add(keys, now)
        rows = (
            MailAllowance.objects.select_for_update()
            .filter(key__in=keys)
            .order_by("key")
            .values_list("pk", "key", *_ALLOWANCE_FIELDS)
        )
        allowances = {row[1]: _Allowance(*row) for row in rows}
        permits, changed = [], {}
        for ceilings, holder in zip(wanted, holders, strict=True):
            permit = _permit_take(ceilings, allowances, now, holder)
            if permit.taken:
                changed.update((key, allowances[key]) for key in ceilings)
            # Each permit its own moment: giving one back (which checks that nothing
            # took since, by this time) can then never undo another's.
            now += timedelta(microseconds=1)
            permits.append(permit)
        _allowances_save(list(changed.values()))
        return permits


class _Allowance:
    """A MailAllowance row as the ceiling reads and changes it: a batch of a hundred
    confirmations reads two hundred, and making model instances of them was a third of
    the ceiling's CPU (docs/benchmarks.md)."""

    __slots__ = ("pk", "key", "last_sent_at", "window_started_at", "sent_in_window", "taken_by")

    def __init__(self, pk, key, last_sent_at, window_started_at, sent_in_window, taken_by):
        self.pk, self.key = pk, key
        self.last_sent_at = last_sent_at
        self.window_started_at = window_started_at
        self.sent_in_window = sent_in_window
        self.taken_by = taken_by


def _allowances_add(keys: list[str], now: datetime) -> None:
    """A fresh allowance for each key that has none yet, in one statement (the ORM's
    bulk_create compiled each row's values, at a tenth of a batched confirmation's CPU)."""
    quote = connection.ops.quote_name
    table = quote(MailAllowance._meta.db_table)
    started = MailAllowance._meta.get_field("window_started_at").get_db_prep_save(now, connection)
    rows = ", ".join(["(%s, %s, 0, '')"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('key')}, {quote('window_started_at')}, "
            f"{quote('sent_in_window')}, {quote('taken_by')}) VALUES {rows} "
            f"ON CONFLICT ({quote('key')}) DO NOTHING",
            [value for key in keys for value in (key, started)],
        )


def _allowances_save(allowances: list[_Allowance]) -> None:
    """One statement run for each row: the ORM's bulk_update compiled a CASE per field
    and row, and cost more than the rest of the batch's ceiling."""
    if not allowances:
        return
    fields = [MailAllowance._meta.get_field(name) for name in _ALLOWANCE_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    table, pk = MailAllowance._meta.db_table, MailAllowance._meta.pk.column
    sql = f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s"
    rows = [
        [*(f.get_db_prep_save(getattr(a, f.name), connection) for f in fields), a.pk]
        for a in allowances
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _permit_take(
    ceilings: dict[str, _Ceiling], allowances: dict, now: datetime, holder: str
) -> MailPermit:
    address = next(iter(ceilings))
    if holder and allowances[address].taken_by == holder:
        # Granted on what its earlier attempt took: nothing taken, nothing to give back.
        return MailPermit(True)
    held = {key: _held_until(allowances[key], ceilings[key], now) for key in ceilings}
    if any(held.values()):
        network_held = any(until for key, until in held.items() if key != address)
        return MailPermit(False, None if network_held else held[address])
    taken = []
    for key in sorted(ceilings):
        allowance = allowances[key]
        taken.append((key, now, [getattr(allowance, f) for f in _ALLOWANCE_FIELDS]))
        if allowance.window_started_at + ceilings[key].window <= now:
            allowance.window_started_at, allowance.sent_in_window = now, 0
        allowance.sent_in_window += 1
        allowance.last_sent_at = now
        allowance.taken_by = holder
    return MailPermit(True, taken=taken)


def unverified_mail_permit_return(*, permit: MailPermit) -> None:
    """Give back what a permit took, when its email could not be sent after all.

    Only while nothing else has taken from the allowance since, so a returned
    permit never lets more through than the ceiling.
    """
    if not permit.taken:
        return
    with transaction.atomic():
        for key, taken_at, before in permit.taken:
            MailAllowance.objects.filter(key=key, last_sent_at=taken_at).update(
                **dict(zip(_ALLOWANCE_FIELDS, before, strict=True))
            )


def mail_allowances_prune() -> int:
    """Forget allowances no ceiling looks at any more (every window is at most a day)."""
    cutoff = timezone.now() - timedelta(days=2)
    stale = MailAllowance.objects.filter(window_started_at__lt=cutoff)
    deleted, _ = stale.exclude(last_sent_at__gte=cutoff).delete()
    return deleted
