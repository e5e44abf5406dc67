"""A petition's signatures over time, read from the folded counts (PetitionCount).

The fold keeps one row per UTC day ("2026-11-30") and per UTC hour ("2026-11-30T14") in
which signatures were confirmed; these functions give the series with every period
present, zero where nothing was confirmed, so a chart shows quiet hours as gaps. They
never read a signature row: a petition with a million signatures costs what one with
ten does, bar the number of days it has been open.
"""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from petitions.models import PetitionCount

HOURS = 72


def _now() -> datetime:
    return timezone.now().astimezone(UTC)


def hourly_series(*, petition_id: int, hours: int = HOURS) -> list[tuple[datetime, int]]:
    """The last `hours` UTC hours, the current one last: (start of the hour, confirmed)."""
    this_hour = _now().replace(minute=0, second=0, microsecond=0)
    starts = [this_hour - timedelta(hours=back) for back in range(hours - 1, -1, -1)]
    # Hour values sort as text in time order, so one range read on the unique index.
    rows = PetitionCount.objects.filter(
        petition_id=petition_id, dimension="hour", value__gte=f"{starts[0]:%Y-%m-%dT%H}"
    ).values_list("value", "count")
    by_hour = dict(rows)
    return [(start, by_hour.get(f"{start:%Y-%m-%dT%H}", 0)) for start in starts]


def daily_series(*, petition_id: int, since: date | None = None) -> list[tuple[date, int]]:
    """Every UTC day from the first with a signature (or `since`, if earlier) to today."""
    by_day = {}
    rows = PetitionCount.objects.filter(petition_id=petition_id, dimension="day")
    for value, count in rows.values_list("value", "count"):
        try:
            by_day[date.fromisoformat(value)] = count
        except ValueError:  # not a day: nothing the fold writes, so leave it out
            continue
    today = _now().date()
    first = min([*by_day, *([since] if since else [])], default=today)
    first = min(first, today)
    days = (today - first).days + 1
    return [
        (first + timedelta(days=n), by_day.get(first + timedelta(days=n), 0)) for n in range(days)
    ]


def running_total(series: list[tuple[date, int]]) -> list[tuple[date, int]]:
    """The total so far at the end of each day of a daily series."""
    total, running = 0, []
    for day, count in series:
        total += count
        running.append((day, total))
    return running
