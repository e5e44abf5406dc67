"""Bulk exports of personal data: the one way such a file leaves Chorus.

Every export path (an admin action today, a report or an API tomorrow) calls
`personal_data_export`, which refuses anyone without the export permission and records
the export in the append-only ExportRecord log before the first byte is sent.
"""

import csv
import re
from collections.abc import Iterable, Iterator, Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils import timezone

from lib.csvsafe import Echo, csv_cell
from orgs.audit import Action, audit_record, audit_target
from orgs.models import ExportRecord
from orgs.roles import EXPORT_PERMISSION


def export_allowed(user) -> bool:
    return bool(user and user.is_active and user.has_perm(EXPORT_PERMISSION))


def personal_data_export(
    *, user, what: str, scope: str, columns: Sequence[str], rows: Iterable[Sequence]
) -> Iterator[str]:
    """CSV lines of `rows` under a header of `columns`, recorded in the export log.

    Refuses at once (PermissionDenied) without the export permission. `rows` must be lazy
    (a queryset iterator): it is read only as the lines are consumed. The record is written
    now; its row count and outcome are filled in once, when the stream ends or is closed,
    so they say what actually went out rather than what a count before it predicted.
    """
    if not export_allowed(user):
        raise PermissionDenied("Exporting personal data needs the export permission.")
    with transaction.atomic():
        record = ExportRecord.objects.create(user=user, what=what[:300], scope=scope, format="csv")
        audit_record(
            by=user,
            action=Action.EXPORT,
            summary=what,
            target=audit_target(record),
            detail={"scope": scope_without_searches(scope), "columns": list(columns)},
        )
    return _csv_lines(record, columns, rows)


def personal_data_file_export(
    *, user, what: str, scope: str, format: str, row_count: int
) -> ExportRecord:
    """Record a download of a file Chorus made earlier (a delivery pack's PDF or CSV):
    the same permission, export log entry and audit row as a streamed export. The file
    is handed over whole, so the record is written finished, with its known row count."""
    if not export_allowed(user):
        raise PermissionDenied("Exporting personal data needs the export permission.")
    with transaction.atomic():
        record = ExportRecord.objects.create(
            user=user,
            what=what[:300],
            scope=scope,
            format=format[:10],
            row_count=row_count,
            outcome=ExportRecord.Outcome.FINISHED,
            finished_at=timezone.now(),
        )
        audit_record(
            by=user,
            action=Action.EXPORT,
            summary=what,
            target=audit_target(record),
            detail={"scope": scope_without_searches(scope), "format": format, "rows": row_count},
        )
    return record


EMAIL_LIKE = re.compile(r"[^\s@&;=,]+(@|%40)[^\s&;,]+")
SEARCH_PARAMETER = re.compile(
    r"(^|[?&;\s])(q|search|\w*(?:name|email|postcode)\w*)=[^&;\s]*", re.IGNORECASE
)
SCOPE_KEPT = 500


def scope_without_searches(scope: str) -> str:
    """An export's scope fit for the audit log: what was typed in a search box (a name, an
    address) is replaced by a mark, so the log says a search narrowed it, not for whom."""
    scope = SEARCH_PARAMETER.sub(r"\1\2=(a search)", scope)
    scope = EMAIL_LIKE.sub("(an address)", scope)
    return scope if len(scope) <= SCOPE_KEPT else scope[: SCOPE_KEPT - 1] + "…"


def _csv_lines(record: ExportRecord, columns, rows) -> Iterator[str]:
    writer = csv.writer(Echo())
    written = 0
    outcome = ExportRecord.Outcome.STOPPED
    try:
        yield writer.writerow(columns)
        for row in rows:
            line = writer.writerow([csv_cell(value) for value in row])
            written += 1  # counted once handed over: a close at this yield still sent it
            yield line
        outcome = ExportRecord.Outcome.FINISHED
    finally:
        _record_end(record, written, outcome)


def _record_end(record: ExportRecord, written: int, outcome: str) -> None:
    # Once only: a record whose outcome is filled in is never written again.
    ExportRecord.objects.filter(pk=record.pk, outcome=ExportRecord.Outcome.STARTED).update(
        row_count=written, outcome=outcome, finished_at=timezone.now()
    )


def _byte_order_mark_first(lines: Iterator[str]) -> Iterator[str]:
    """The lines with a UTF-8 byte-order mark before the first: without it Excel reads the
    file as the system's legacy encoding and mangles every accented name."""
    try:
        for header in lines:
            yield "\ufeff" + header
            break
        yield from lines
    finally:
        lines.close()


def personal_data_csv_response(*, filename: str, **export) -> StreamingHttpResponse:
    """`personal_data_export` as a streamed CSV download (UTF-8 with a byte-order mark)."""
    response = StreamingHttpResponse(
        _byte_order_mark_first(personal_data_export(**export)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
