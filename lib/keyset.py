"""Pages of a list, newest first, that never count the list: "keyset" paging on the id.

A page is asked for as the rows below an id (`older_than`, the "Older" link) or above one
(`newer_than`, the "Newer" link), so the database walks an index from that id and stops
after one row more than the page holds, however long the list is.
"""

from dataclasses import dataclass


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
