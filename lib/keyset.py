"""Pages of a list, newest first, that never count the list: "keyset" paging on the id.

A page is asked for as the rows below an id (`older_than`, the "Older" link) or above one
(`newer_than`, the "Newer" link), so the database walks an index from that id and stops
after one row more than the page holds, however long the list is.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError

from lib.replica import REPLICA, replica_failed


@dataclass(frozen=True)
class KeysetPage:
    ids: list[int]  # the page's ids, newest first
    newer_than: int | None  # the id the "Newer" link asks for rows above, if any
    older_than: int | None  # the id the "Older" link asks for rows below, if any


def keyset_page(
    matching, *, older_than: int | None, newer_than: int | None, size: int
) -> KeysetPage:
    """The ids of one page of the QuerySet `matching`, newest (highest id) first."""
    if newer_than is not None:
        ids = list(
            matching.filter(id__gt=newer_than)
            .order_by("id")
            .values_list("id", flat=True)[: size + 1]
        )
        more_newer = len(ids) > size
        ids = ids[:size][::-1]
        newer = ids[0] if ids and more_newer else None
        return KeysetPage(ids, newer, ids[-1] if ids else newer_than + 1)
    if older_than is not None:
        matching = matching.filter(id__lt=older_than)
    ids = list(matching.order_by("-id").values_list("id", flat=True)[: size + 1])
    more_older = len(ids) > size
    ids = ids[:size]
    newer = (ids[0] if ids else older_than - 1) if older_than is not None else None
    return KeysetPage(ids, newer, ids[-1] if ids and more_older else None)


def keyset_rows(queryset, fields: Sequence[str], *, size: int = 2000) -> Iterator[tuple]:
    """The `fields` of every row of `queryset`, lowest id first, read `size` rows at a time.

    In place of `.iterator()`, which streams through a server-side cursor: one cannot pass a
    pooler in transaction mode (chorus/db/pooler.py), and without one the driver reads the
    whole result into memory at once. Each page starts after the last id of the one before,
    so it is as quick at the millionth row as at the first. The database is chosen now, not
    when the rows are read (a streamed response reads them after its view has returned).
    """
    return _pages(queryset.using(queryset.db).order_by("id"), list(fields), size)


def _pages(queryset, fields: list[str], size: int) -> Iterator[tuple]:
    last_id = None
    while True:
        page = queryset if last_id is None else queryset.filter(id__gt=last_id)
        try:
            rows = list(page.values_list("id", *fields)[:size])
        except (OperationalError, InterfaceError) as error:
            if queryset.db != REPLICA:
                raise
            # The replica went away mid-way: the rest comes from the primary, from this id.
            replica_failed(error)
            queryset = queryset.using(DEFAULT_DB_ALIAS)
            continue
        for row in rows:
            yield row[1:]
        if len(rows) < size:
            return
        last_id = rows[-1][0]
