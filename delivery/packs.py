"""Delivery packs: what a petition's target receives, made in the background.

`pack_start` records a DeliveryPack and its first ledger job. Each job (`pack_run`) walks
the petition's confirmed signatures by id in keyset batches (never OFFSET, never the whole
table in memory), appends each batch to the CSV and records how far it got and how many
bytes of the file hold whole batches, in one transaction per batch: a job retried after a
crash cuts the file back to that length and goes on, so no row is written twice. Once the
walk reaches the last signature that existed at the start, the PDF is laid out from the
folded counts and the public comments (at most DELIVERY_PDF_COMMENTS of them): a bounded
document whatever the number of signatures, so memory stays flat (docs/delivery.md).
"""

import csv
import io
import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, transaction
from django.db.models import F, Max, Min
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from jobs.models import Job
from jobs.services import job_record
from lib.charts import line_chart, number
from lib.csvsafe import csv_cell
from lib.mail import absolute_url
from lib.replica import reads_may_lag
from petitions.models import Petition, Signature
from petitions.pages import render_markdown
from petitions.selectors import petition_counts

from .models import DeliveryPack

State = DeliveryPack.State

PACK_RUN = "delivery_pack_run"
BATCH_SIZE = 5000
# Batches per job, so one job stays well inside its lease; the job records the next one.
BATCHES_PER_JOB = 20
BYTE_ORDER_MARK = "\ufeff".encode()

# The CSV's column for each field a petition may share (Petition.DELIVERY_FIELDS), and
# the signature columns it is made of.
FIELD_COLUMNS = {
    "name": ("first_name", "last_name"),
    "country": ("country",),
    "postcode": ("postcode",),
    "comment": ("comment",),
}


class PackRefused(ValueError):
    """A pack that cannot be made or changed; the message says why."""


def pack_directory() -> Path:
    directory = Path(settings.DELIVERY_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def pack_path(pack: DeliveryPack, extension: str) -> Path:
    return pack_directory() / f"{pack.file_key}.{extension}"


def pack_filename(pack: DeliveryPack, extension: str) -> str:
    return f"{pack.petition.slug}-delivery-{pack.created_at.date().isoformat()}.{extension}"


def shared_fields(petition: Petition) -> list[str]:
    """The petition's delivery fields Chorus knows, in the order of DELIVERY_FIELDS."""
    chosen = set(petition.delivery_fields or [])
    return [key for key, _label in Petition.DELIVERY_FIELDS if key in chosen]


def pack_start(*, petition: Petition, by) -> DeliveryPack:
    """Record a pack of the signatures confirmed now, and the job that makes it."""
    if petition.status == Petition.Status.DRAFT:
        raise PackRefused(_("A draft petition has no signatures to deliver."))
    with transaction.atomic():
        # One pack at a time per petition: the petition's row is held while we look.
        Petition.objects.select_for_update().filter(pk=petition.pk).first()
        if DeliveryPack.objects.filter(petition=petition, state=State.RUNNING).exists():
            raise PackRefused(
                _("A pack of this petition is being made: wait for it, or cancel it.")
            )
        confirmed = Signature.objects.filter(petition=petition, state=Signature.State.CONFIRMED)
        upto = confirmed.aggregate(last=Max("id"))["last"] or 0
        total = petition_counts(petition_id=petition.pk)["total"].get("", 0)
        pack = DeliveryPack.objects.create(
            petition=petition,
            by=by,
            file_key=secrets.token_hex(16),
            fields=shared_fields(petition),
            upto_id=upto,
            rows_total=total,
        )
        job_record(kind=PACK_RUN, payload={"pack": pack.pk})
    return pack


def pack_run(*, pack_pk: int, batches: int = BATCHES_PER_JOB, size: int = BATCH_SIZE) -> bool:
    """One job's share of a running pack: up to `batches` batches of the CSV or, once the
    CSV is whole, the PDF (a job of its own: its layout takes seconds). True while work
    is left (the caller records the next job)."""
    state, csv_done = DeliveryPack.objects.filter(pk=pack_pk).values_list(
        "state", "csv_done"
    ).first() or (None, False)
    if state != State.RUNNING:
        return False  # cancelled, deleted or finished meanwhile
    if csv_done:
        _finish(pack_pk)
        return False
    for _batch in range(batches):
        more = _batch_write(pack_pk, size)
        if more is None:
            return False
        if not more:
            DeliveryPack.objects.filter(pk=pack_pk).update(csv_done=True)
            return True
    return True


def _batch_write(pack_pk: int, size: int) -> bool | None:
    pack = DeliveryPack.objects.filter(pk=pack_pk).first()
    if pack is None or pack.state != State.RUNNING:
        return None
    rows = _batch_rows(pack, size)
    with transaction.atomic():
        locked = DeliveryPack.objects.select_for_update().filter(pk=pack_pk).first()
        if locked is None or locked.state != State.RUNNING:
            return None  # cancelled meanwhile (by an erasure, say): nothing read is written
        if locked.cursor != pack.cursor:
            return True  # another run of this job wrote the batch meanwhile; go on from there
        title = Petition.objects.values_list("title", flat=True).get(pk=pack.petition_id)
        length = _csv_append(locked, title, rows)
        if rows:
            DeliveryPack.objects.filter(pk=pack.pk).update(
                cursor=rows[-1][0], csv_bytes=length, rows_done=F("rows_done") + len(rows)
            )
        elif length != locked.csv_bytes:
            DeliveryPack.objects.filter(pk=pack.pk).update(csv_bytes=length)
    return len(rows) == size


def _batch_rows(pack: DeliveryPack, size: int) -> list[tuple]:
    """The next batch of the pack's signatures, from the read replica when it has caught up
    with this pack: holding the pack's row as the last batch left it, it holds every
    signature confirmed before the pack started, which is all the pack takes."""
    batch = (
        Signature.objects.filter(
            petition_id=pack.petition_id,
            state=Signature.State.CONFIRMED,
            id__gt=pack.cursor,
            id__lte=pack.upto_id,
        )
        .order_by("id")
        .values_list("id", *_signature_columns(pack.fields))[:size]
    )
    try:
        with reads_may_lag():
            caught_up = DeliveryPack.objects.filter(pk=pack.pk, cursor=pack.cursor)
            if caught_up.db != DEFAULT_DB_ALIAS and caught_up.exists():
                return list(batch.using(caught_up.db))
    except (OperationalError, InterfaceError):
        pass  # the replica went away (and is left alone for now): the primary has it all
    return list(batch.using(DEFAULT_DB_ALIAS))


def _signature_columns(fields: list[str]) -> list[str]:
    return [column for field in fields for column in FIELD_COLUMNS[field]]


def csv_header(fields: list[str]) -> list[str]:
    labels = dict(Petition.DELIVERY_FIELDS)
    return [_("Petition")] + [str(labels[field]) for field in fields]


class CountryNames(dict):
    """Country names by code, looked up once each: django-countries' lookup translates
    on every call, which was most of the time a batch took."""

    def __missing__(self, code: str) -> str:
        self[code] = str(countries.name(code) or code)
        return self[code]


def csv_row(title: str, fields: list[str], values, names: CountryNames) -> list[str]:
    """One signature's cells: `values` in the order of _signature_columns(fields)."""
    cells, values = [title], list(values)
    for field in fields:
        if field == "name":
            cells.append(f"{values.pop(0)} {values.pop(0)}".strip())
        elif field == "country":
            cells.append(names[values.pop(0)])
        else:
            cells.append(values.pop(0))
    return [csv_cell(cell).replace("\x00", "") for cell in cells]


def _csv_append(pack: DeliveryPack, title: str, rows: list) -> int:
    """Append a batch to the CSV (after its header, if new); the file's new length.

    UTF-8 with a byte-order mark and CRLF line ends, as Excel and LibreOffice read them.
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    if pack.csv_bytes == 0:
        writer.writerow(csv_header(pack.fields))
    names = CountryNames()
    for row in rows:
        writer.writerow(csv_row(title, pack.fields, row[1:], names))
    data = text.getvalue().encode()
    if pack.csv_bytes == 0:
        data = BYTE_ORDER_MARK + data
    descriptor = os.open(pack_path(pack, "csv"), os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "r+b") as file:
        # Cut back to the last batch recorded: a retried job may have written more.
        file.truncate(pack.csv_bytes)
        file.seek(pack.csv_bytes)
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    return pack.csv_bytes + len(data)


def _finish(pack_pk: int) -> None:
    pack = DeliveryPack.objects.select_related("petition").get(pk=pack_pk)
    if pack.state != State.RUNNING:
        return
    total, comment_count = pdf_write(pack)
    with transaction.atomic():
        DeliveryPack.objects.filter(pk=pack.pk, state=State.RUNNING).update(
            state=State.DONE,
            confirmed_total=total,
            comments=comment_count,
            pdf_bytes=pack_path(pack, "pdf").stat().st_size,
            finished_at=timezone.now(),
        )
    if DeliveryPack.objects.filter(pk=pack.pk).values_list("state", flat=True)[0] != State.DONE:
        _files_delete(pack)  # cancelled while the PDF was being laid out


# The PDF -----------------------------------------------------------------------------


def public_comments(petition: Petition, limit: int) -> list[dict]:
    """The newest comments of confirmed signers who chose to be shown, that staff have
    not hidden, named as the public page names them (first name, last initial)."""
    rows = (
        Signature.objects.filter(
            petition=petition,
            state=Signature.State.CONFIRMED,
            show_name=True,
            comment_hidden=False,
        )
        .exclude(comment="")
        .order_by("-confirmed_at", "-id")
        .values("first_name", "last_name", "country", "comment")[:limit]
    )
    return [
        {
            "name": _clean(f"{row['first_name']} {row['last_name'][:1]}."),
            "country": countries.name(row["country"]) or row["country"],
            "comment": _clean(row["comment"]),
        }
        for row in rows
    ]


def _clean(text: str) -> str:
    # Control characters (a NUL, say) have no place in a printed page.
    return "".join(c for c in text if c in "\n\t" or c >= " ")


def running_total(by_day: dict[str, int]) -> list[tuple[str, int]]:
    points, total = [], 0
    for day in sorted(by_day):
        total += by_day[day]
        points.append((day, total))
    return points


def pdf_context(pack: DeliveryPack) -> dict:
    petition = pack.petition
    counts = petition_counts(petition_id=petition.pk)
    total = counts["total"].get("", 0)
    by_country = sorted(
        (
            {"name": countries.name(code) or code or _("Unknown"), "count": count}
            for code, count in counts["country"].items()
            if count
        ),
        key=lambda row: (-row["count"], row["name"]),
    )
    for row in by_country:
        row["percent"] = row["count"] * 100 / total if total else 0
        row["count_text"] = number(row["count"])
    limit = settings.DELIVERY_PDF_COMMENTS
    comments = public_comments(petition, limit)
    points = running_total(counts["day"])
    return {
        "petition": petition,
        "story_html": render_markdown(petition.story),
        "total": total,
        "total_text": number(total),
        "countries": by_country,
        "chart": line_chart(
            points or [(timezone.now().date().isoformat(), 0)],
            chart_id="delivery-total",
            title=_("Signatures over time"),
        ),
        "comments": comments,
        "comments_capped": len(comments) == limit and limit > 0,
        "made_at": timezone.now(),
        "public_url": absolute_url(petition.get_absolute_url()),
        "fonts": font_faces(),
    }


FONTS = [
    ("Atkinson Hyperlegible Next", 400, "atkinson-hyperlegible-next-latin-ext-400-normal"),
    ("Atkinson Hyperlegible Next", 400, "atkinson-hyperlegible-next-latin-400-normal"),
    ("Atkinson Hyperlegible Next", 700, "atkinson-hyperlegible-next-latin-ext-700-normal"),
    ("Atkinson Hyperlegible Next", 700, "atkinson-hyperlegible-next-latin-700-normal"),
]


def font_directory() -> Path:
    return Path(settings.BASE_DIR) / "static" / "fonts" / "atkinson-hyperlegible-next"


def font_faces() -> list[dict]:
    """The fonts Chorus ships, as file:// URLs: nothing is fetched from anywhere."""
    return [
        {"family": family, "weight": weight, "url": (font_directory() / f"{stem}.woff2").as_uri()}
        for family, weight, stem in FONTS
    ]


def local_fonts_only():
    """WeasyPrint's fetcher, refusing all but the fonts Chorus ships: a story or comment
    can never make the PDF maker reach the network or read another file."""
    from weasyprint.urls import URLFetcher

    allowed = {face["url"] for face in font_faces()}

    class LocalFonts(URLFetcher):
        def fetch(self, url, headers=None):
            if url not in allowed:
                raise ValueError("The delivery pack loads nothing but Chorus's own fonts.")
            return super().fetch(url, headers)

    return LocalFonts(allowed_protocols={"file"}, allow_redirects=False)


def pdf_html(pack: DeliveryPack) -> tuple[str, dict]:
    with reads_may_lag():  # folded counts and comments: the replica while it keeps up
        context = pdf_context(pack)
    return render_to_string("delivery/pack.html", context), context


def pdf_write(pack: DeliveryPack) -> tuple[int, int]:
    """Lay out and write the PDF; (the confirmed total it shows, the comments it holds)."""
    from weasyprint import HTML  # imported here: only the worker making a pack needs it

    # In the petition's language, whoever's worker lays it out.
    with translation.override(pack.petition.language or settings.LANGUAGE_CODE):
        html, context = pdf_html(pack)
    path = pack_path(pack, "pdf")
    # A name of its own: a job run twice at once (a lease lost) never writes into the
    # other's file, and the finished PDF appears whole, by a rename.
    partial = path.with_name(f"{path.stem}.{secrets.token_hex(4)}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        HTML(string=html, url_fetcher=local_fonts_only()).write_pdf(file)
    partial.replace(path)
    return context["total"], len(context["comments"])


# Cancel, delete, prune --------------------------------------------------------------------


def _files_delete(pack: DeliveryPack) -> None:
    for extension in ("csv", "pdf"):
        pack_path(pack, extension).unlink(missing_ok=True)
    for partial in pack_directory().glob(f"{pack.file_key}.*.part"):
        partial.unlink(missing_ok=True)


def pack_cancel(*, pack: DeliveryPack) -> bool:
    """Stop a pack being made and delete what it wrote; False if it was not running."""
    with transaction.atomic():
        stopped = DeliveryPack.objects.filter(pk=pack.pk, state=State.RUNNING).update(
            state=State.CANCELLED, finished_at=timezone.now()
        )
    if stopped:
        _files_delete(pack)
    return bool(stopped)


def pack_delete(*, pack: DeliveryPack) -> bool:
    """Delete a finished pack's files (the row stays, to say who made it and when)."""
    deleted = DeliveryPack.objects.filter(
        pk=pack.pk, state__in=[State.DONE, State.FAILED, State.CANCELLED]
    ).update(state=State.DELETED)
    if deleted:
        _files_delete(pack)
    return bool(deleted)


def packs_holding_delete(*, signature_ids: list[int]) -> int:
    """Delete the packs that may hold any of these signatures (an erasure's): a ready
    pack's files go, a pack being made is cancelled. Call inside the erasure's
    transaction; the files are deleted once it commits. How many packs it stopped."""
    signatures = Signature.objects.filter(pk__in=signature_ids)
    oldest = dict(
        signatures.values_list("petition_id")
        .annotate(first=Min("id"))
        .values_list("petition_id", "first")
    )
    holding = [
        pack
        for pack in DeliveryPack.objects.filter(
            petition_id__in=oldest, state__in=[State.RUNNING, State.DONE]
        )
        if pack.upto_id >= oldest[pack.petition_id]
    ]
    for pack in holding:
        DeliveryPack.objects.filter(pk=pack.pk).update(
            state=State.CANCELLED if pack.state == State.RUNNING else State.DELETED,
            failure=ERASED_FAILURE,
            finished_at=pack.finished_at or timezone.now(),
        )
        transaction.on_commit(lambda pack=pack: _files_delete(pack))
    return len(holding)


ERASED_FAILURE = "Deleted: a signer in it had their data erased."


def packs_prune() -> int:
    """Delete the files of packs older than DELIVERY_PACK_DAYS (a periodic loop), and fail
    the running packs whose job gave up for good."""
    old = timezone.now() - timedelta(days=settings.DELIVERY_PACK_DAYS)
    pruned = 0
    for pack in DeliveryPack.objects.filter(created_at__lt=old).exclude(state=State.DELETED)[:100]:
        DeliveryPack.objects.filter(pk=pack.pk).update(state=State.DELETED)
        _files_delete(pack)
        pruned += 1
    return pruned + _settle_failed()


def _settle_failed() -> int:
    settled = 0
    for pack_pk in DeliveryPack.objects.filter(state=State.RUNNING).values_list("pk", flat=True)[
        :100
    ]:
        latest = Job.objects.filter(kind=PACK_RUN, payload__pack=pack_pk).order_by("-pk").first()
        if latest is None or latest.state != Job.State.FAILED:
            continue
        reason = (latest.last_error.strip().splitlines() or ["no error recorded"])[-1]
        settled += DeliveryPack.objects.filter(pk=pack_pk, state=State.RUNNING).update(
            state=State.FAILED, failure=reason[:300], finished_at=timezone.now()
        )
    return settled


def pack_progress(pack: DeliveryPack) -> dict:
    total, done = max(pack.rows_total, pack.rows_done), pack.rows_done
    progress = {"done": done, "total": total, "left": max(total - done, 0), "rate": None}
    progress["percent"] = round(100 * done / total) if total else 100
    seconds = ((pack.finished_at or timezone.now()) - pack.created_at).total_seconds()
    if done and seconds > 0:
        progress["rate"] = round(done / seconds)
        if pack.state == State.RUNNING and progress["rate"]:
            progress["minutes_left"] = max(round(progress["left"] / progress["rate"] / 60), 1)
    progress["pdf"] = pack.state == State.RUNNING and pack.csv_done
    return progress


def pack_file_path(pack: DeliveryPack, extension: str) -> Path | None:
    """The path of a ready pack's file, or None if it is not ready or has gone."""
    if pack.state != State.DONE or extension not in ("pdf", "csv"):
        return None
    path = pack_path(pack, extension)
    return path if path.exists() else None
