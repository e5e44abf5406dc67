"""Members from a CSV file: read and check it, keep it privately, then import it in batches.

`member_import_create` checks the whole file (encoding, columns, every row) and keeps it
as a MemberImport waiting for confirmation; nothing about any person is stored yet.
`member_import_start` confirms it; the workspace's job (staff.jobs) then calls
`member_import_batch` until the file is done, so each call is short and a cancelled
import stops between batches. Members are matched by their canonical email key; consent
goes through members.services.member_subscribe, so it lands in the ledger with the
wording the uploader confirmed and "imported from <source>". An address on the
suppression list (for whatever reason) is never subscribed by an import.
"""

import csv
import io
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_countries import countries

from lib.addresses import InvalidEmail, email_normalise, normalised_email_key
from members.models import ConsentRecord, Member, MemberImport, Suppression
from members.services import Consent, member_subscribe, suppressions_restore
from orgs.audit import Action, audit_record, audit_target

State = MemberImport.State
PREVIEW_ROWS = 20
ERRORS_KEPT = 200
BATCH_ROWS = 500
# A preview nobody confirms is cancelled after this, and its file deleted.
PREVIEW_KEPT = timedelta(days=1)
FIELDS = ("email", "first_name", "last_name", "country", "postcode", "language")
# The longest value each column may hold: the model's limits.
MAX_LENGTH = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "postcode": 20,
    "language": 10,
}
LABELS = {
    "email": "Email",
    "first_name": "First name",
    "last_name": "Last name",
    "country": "Country",
    "postcode": "Postcode",
    "language": "Language",
}
# Header names people use for each column, compared without case, spaces, - or _.
HEADERS = {
    "email": {"email", "emailaddress", "mail", "e-mail"},
    "first_name": {"firstname", "first", "givenname", "forename", "name"},
    "last_name": {"lastname", "last", "surname", "familyname"},
    "country": {"country", "countrycode", "countryname", "nation"},
    "postcode": {"postcode", "postalcode", "zip", "zipcode", "postcodezip", "plz"},
    "language": {"language", "lang", "locale", "languagecode"},
}
NOT_UTF8 = (
    "This file is not UTF-8 text. In Excel, choose File, Save a copy, and the type "
    "“CSV UTF-8 (comma delimited)”; in Numbers or LibreOffice, export as CSV with the "
    "Unicode (UTF-8) character set."
)


class ImportRefused(ValueError):
    """The file cannot be imported at all; the message says why and what to do."""


@dataclass
class Row:
    line: int  # the line number a spreadsheet shows (the header is line 1)
    values: dict
    errors: list[str] = field(default_factory=list)
    email_key: str = ""


@dataclass(frozen=True)
class Parsed:
    columns: dict  # field -> column index
    headers: list[str]
    rows: list[list[str]]


def _header_name(text: str) -> str:
    return "".join(ch for ch in text.strip().lower() if ch not in " -_.")


def _columns(headers: list[str]) -> dict:
    columns = {}
    for index, header in enumerate(headers):
        name = _header_name(header)
        for column, names in HEADERS.items():
            if name in {_header_name(n) for n in names} and column not in columns:
                columns[column] = index
    if "email" not in columns:
        raise ImportRefused(
            "No column holds email addresses. The first line must name the columns, "
            "with one called “email” (others may be first name, last name, country, "
            "postcode and language)."
        )
    return columns


def csv_read(data: bytes) -> Parsed:
    """The file's header and rows, or ImportRefused saying what is wrong with it."""
    if len(data) > settings.MEMBER_IMPORT_MAX_BYTES:
        limit = settings.MEMBER_IMPORT_MAX_BYTES // (1024 * 1024)
        raise ImportRefused(f"This file is larger than {limit} MB. Split it into smaller files.")
    if not data.strip():
        raise ImportRefused("This file is empty.")
    if b"\x00" in data:
        raise ImportRefused(
            "This file holds binary data, so it is not a CSV file (a spreadsheet saved "
            "as .xlsx, or text saved as UTF-16?). " + NOT_UTF8
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(NOT_UTF8) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportRefused(f"This file cannot be read as CSV: {error}.") from None
    headers, rows = lines[0], [r for r in lines[1:] if any(cell.strip() for cell in r)]
    columns = _columns(headers)
    if not rows:
        raise ImportRefused("This file has a header line but no rows of members.")
    return Parsed(columns=columns, headers=headers, rows=rows)


def _country(text: str) -> str:
    text = " ".join(text.split())
    if not text or (len(text) == 2 and text.upper() in dict(countries)):
        return text.upper()
    code = countries.by_name(text)
    if not code:
        raise ValueError(f"no country is called “{text[:60]}”")
    return code


def row_check(line: int, cells: list[str], columns: dict) -> Row:
    """One row's values, cleaned, with every problem it has (values stay as text)."""
    values = {
        name: (cells[index] if index < len(cells) else "").strip()
        for name, index in columns.items()
    }
    row = Row(line=line, values=values)
    for name, limit in MAX_LENGTH.items():
        if len(values.get(name, "")) > limit:
            row.errors.append(f"{LABELS[name]} is longer than {limit} characters.")
    try:
        values["country"] = _country(values.get("country", ""))
    except ValueError as error:
        row.errors.append(f"Country: {error}.")
    if not values["email"]:
        row.errors.append("Email is missing.")
    elif len(values["email"]) <= MAX_LENGTH["email"]:
        try:
            values["email"] = email_normalise(values["email"])
            row.email_key = normalised_email_key(values["email"])
        except InvalidEmail as error:
            row.errors.append(f"Email is not a valid address: {error}")
    return row


def rows_checked(parsed: Parsed, *, start: int = 0, stop: int | None = None) -> list[Row]:
    return [
        row_check(start + offset + 2, cells, parsed.columns)
        for offset, cells in enumerate(parsed.rows[start:stop])
    ]


def _directory() -> Path:
    directory = Path(settings.MEMBER_IMPORT_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _file_write(data: bytes) -> str:
    name = secrets.token_hex(16) + ".csv"
    descriptor = os.open(_directory() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return name


def import_file(member_import: MemberImport) -> Parsed:
    return csv_read((_directory() / member_import.file_name).read_bytes())


def _file_delete(member_import: MemberImport) -> None:
    if member_import.file_name:
        (_directory() / member_import.file_name).unlink(missing_ok=True)


def member_import_create(
    *, organisation_id: int, by, data: bytes, original_name: str, source: str, wording: str
) -> MemberImport:
    """Check the whole file and keep it, waiting for confirmation (ImportRefused if unusable)."""
    parsed = csv_read(data)
    invalid = sum(1 for row in rows_checked(parsed) if row.errors)
    return MemberImport.objects.create(
        organisation_id=organisation_id,
        by=by,
        source=source,
        wording=wording,
        original_name=original_name[:255],
        file_name=_file_write(data),
        rows_total=len(parsed.rows),
        rows_invalid=invalid,
    )


def member_import_start(*, member_import: MemberImport, record_job, by=None) -> bool:
    """Confirm a previewed import; `record_job` records its run in the same transaction,
    and the audit log who confirmed it."""
    with transaction.atomic():
        started = MemberImport.objects.filter(pk=member_import.pk, state=State.PREVIEWED).update(
            state=State.RUNNING, started_at=timezone.now()
        )
        if started:
            record_job(member_import.pk)
            member_import.refresh_from_db()
            audit_record(
                by=by,
                action=Action.IMPORT,
                summary=f"Confirmed a member import of {member_import.rows_total} rows "
                f"({'subscribing them' if member_import.wording else 'nobody subscribed'})",
                target=audit_target(member_import),
                detail={
                    "rows": member_import.rows_total,
                    "rows_invalid": member_import.rows_invalid,
                    "subscribes": bool(member_import.wording),
                },
            )
    return bool(started)


def member_import_cancel(*, member_import: MemberImport, by=None) -> bool:
    """Stop an import before its next batch and delete its file; False if it had ended.

    Stopping a running import is its result, recorded in the audit log; a preview
    nobody confirmed imported nothing and is not."""
    with transaction.atomic():
        stopped = MemberImport.objects.filter(pk=member_import.pk, state=State.RUNNING).update(
            state=State.CANCELLED, finished_at=timezone.now()
        )
        if stopped:
            _audit_result(member_import.pk, by=by)
        cancelled = stopped or MemberImport.objects.filter(
            pk=member_import.pk, state=State.PREVIEWED
        ).update(state=State.CANCELLED, finished_at=timezone.now())
    if cancelled:
        _file_delete(member_import)
    return bool(cancelled)


def _audit_result(import_pk: int, *, by=None) -> None:
    done = MemberImport.objects.get(pk=import_pk)
    counts = {
        "rows": done.rows_total,
        "done": done.rows_done,
        "created": done.rows_created,
        "updated": done.rows_updated,
        "skipped": done.rows_skipped,
        "errors": done.rows_errors,
    }
    audit_record(
        by=by,
        action=Action.IMPORT,
        summary=f"Member import {done.get_state_display().lower()}: {done.rows_created} "
        f"created, {done.rows_updated} updated, {done.rows_errors} with errors",
        target=audit_target(done),
        detail={"state": done.state, **counts},
    )


def member_import_run(
    *, import_pk: int, batches: int = 40, rows: int = BATCH_ROWS, on_pending=None
) -> bool:
    """Import up to `batches` batches of a running import; True while rows are left.

    Bounded so one job stays well inside its lease; the caller records the next one.
    Stops before the next batch once staff cancel. `on_pending(member)` is called, inside
    the batch's transaction, for each member the import leaves awaiting a confirmed opt-in
    (their country asks for one): the caller records the email that asks them.
    """
    member_import = MemberImport.objects.filter(pk=import_pk, state=State.RUNNING).first()
    if member_import is None:
        return False  # cancelled, or finished by an earlier run of the job
    try:
        parsed = import_file(member_import)
    except (OSError, ImportRefused) as error:
        _finish(member_import, State.FAILED, failure=f"The file could not be read: {error}"[:300])
        return False
    seen = _keys_before(parsed, member_import.rows_done)
    for _ in range(batches):
        start = member_import.rows_done
        batch = rows_checked(parsed, start=start, stop=start + rows)
        with transaction.atomic():
            counts = _rows_save(member_import, batch, seen, on_pending)
            _progress_add(member_import, len(batch), counts)
        if member_import.state != State.RUNNING:
            return False  # cancelled while this batch ran: its rows are in, the rest not
        if member_import.rows_done >= len(parsed.rows):
            _finish(member_import, State.DONE)
            return False
    return True


def _keys_before(parsed: Parsed, start: int) -> set[str]:
    # A duplicate later in the file is skipped: the first row with an address wins.
    if start == 0:
        return set()
    return {row.email_key for row in rows_checked(parsed, stop=start) if row.email_key}


def _rows_save(member_import: MemberImport, batch: list[Row], seen: set[str], on_pending) -> dict:
    counts = {"created": 0, "updated": 0, "skipped": 0, "errors": []}
    valid = []
    for row in batch:
        if row.errors:
            counts["errors"].append({"line": row.line, "errors": row.errors})
        elif row.email_key in seen:
            counts["skipped"] += 1
        else:
            seen.add(row.email_key)
            valid.append(row)
    organisation_id = member_import.organisation_id
    keys = [row.email_key for row in valid]
    existing = {
        m.email_key: m
        for m in Member.objects.filter(organisation_id=organisation_id, email_key__in=keys)
    }
    new = [_member_new(organisation_id, row) for row in valid if row.email_key not in existing]
    Member.objects.bulk_create(new, batch_size=BATCH_ROWS)
    # An erased address imported again gets its suppression back before anything reads it.
    suppressions_restore(
        organisation_id=organisation_id, email_keys=[member.email_key for member in new]
    )
    changed = [
        _member_update(existing[row.email_key], row) for row in valid if row.email_key in existing
    ]
    Member.objects.bulk_update(
        changed,
        ["email", "first_name", "last_name", "country", "postcode", "language", "updated_at"],
        batch_size=BATCH_ROWS,
    )
    counts["created"], counts["updated"] = len(new), len(changed)
    if member_import.wording:
        _subscribe(member_import, keys, on_pending)
    return counts


def _member_new(organisation_id: int, row: Row) -> Member:
    values = row.values
    return Member(
        organisation_id=organisation_id,
        email=values["email"],
        email_key=row.email_key,
        **{name: values.get(name, "") for name in FIELDS[1:]},
    )


def _member_update(member: Member, row: Row) -> Member:
    # Only what the file says replaces what Chorus knows: an empty cell keeps the old value.
    member.email = row.values["email"]
    for name in FIELDS[1:]:
        if row.values.get(name):
            setattr(member, name, row.values[name])
    member.updated_at = timezone.now()
    return member


def _subscribe(member_import: MemberImport, keys: list[str], on_pending) -> None:
    organisation_id = member_import.organisation_id
    suppressed = set(
        Suppression.objects.filter(
            organisation_id=organisation_id, email_key__in=keys
        ).values_list("email_key", flat=True)
    )
    consent = Consent(
        wording=member_import.wording,
        wording_version=f"import-{member_import.pk}",
        source=f"imported from {member_import.source}"[:300],
        source_kind=ConsentRecord.SourceKind.IMPORT,
        at=timezone.now(),
    )
    members = Member.objects.filter(organisation_id=organisation_id, email_key__in=keys)
    for member in members.exclude(email_key__in=suppressed):
        member = member_subscribe(member=member, consent=consent)
        if on_pending is not None and member.status == Member.Status.PENDING:
            on_pending(member)


def _progress_add(member_import: MemberImport, done: int, counts: dict) -> None:
    member_import.refresh_from_db()
    member_import.rows_done += done
    member_import.rows_created += counts["created"]
    member_import.rows_updated += counts["updated"]
    member_import.rows_skipped += counts["skipped"]
    member_import.rows_errors += len(counts["errors"])
    room = ERRORS_KEPT - len(member_import.error_report)
    member_import.error_report = member_import.error_report + counts["errors"][: max(room, 0)]
    member_import.save(
        update_fields=[
            "rows_done",
            "rows_created",
            "rows_updated",
            "rows_skipped",
            "rows_errors",
            "error_report",
        ]
    )


def _finish(member_import: MemberImport, state: str, failure: str = "") -> None:
    with transaction.atomic():
        finished = MemberImport.objects.filter(pk=member_import.pk, state=State.RUNNING).update(
            state=state, finished_at=timezone.now(), failure=failure
        )
        if finished:
            _audit_result(member_import.pk)
    _file_delete(member_import)


def member_imports_prune() -> int:
    """Cancel previews nobody confirmed within a day and delete their files (a periodic loop)."""
    stale = MemberImport.objects.filter(
        state=State.PREVIEWED, created_at__lt=timezone.now() - PREVIEW_KEPT
    )
    return sum(member_import_cancel(member_import=item) for item in stale[:100])


def member_import_fail(*, import_pk: int, failure: str) -> bool:
    """Mark a running import failed: its job gave up. The rows already saved stay saved."""
    member_import = MemberImport.objects.filter(pk=import_pk, state=State.RUNNING).first()
    if member_import is None:
        return False
    _finish(member_import, State.FAILED, failure=failure[:300])
    return True
