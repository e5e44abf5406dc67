"""Members in and out of the workspace: a CSV import (upload, preview, a background run
with a progress bar, cancel) and the register's export through the one export seam."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from lib.keyset import keyset_rows
from lib.replica import reads_may_lag
from members.imports import (
    LABELS,
    PREVIEW_ROWS,
    ImportRefused,
    import_file,
    member_import_cancel,
    member_import_create,
    member_import_start,
    rows_checked,
)
from members.models import MemberImport
from members.selectors import MemberFilters, members_filtered
from orgs.exports import personal_data_csv_response
from staff.access import staff_view
from staff.forms_members import MemberImportForm, MemberSearchForm
from staff.jobs import member_import_job_record
from staff.views.members import _organisation

State = MemberImport.State
IMPORT_PERMISSION = "members.add_member"
EXPORT_COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "country",
    "postcode",
    "language",
    "status",
    "status_changed_at",
    "created_at",
]


@staff_view(IMPORT_PERMISSION)
def members_import(request):
    organisation = _organisation()
    form = MemberImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            member_import = member_import_create(
                organisation_id=organisation.pk,
                by=request.user,
                data=upload.read(),
                original_name=upload.name,
                source=form.cleaned_data["source"],
                wording=form.cleaned_data["wording"]
                if form.cleaned_data["consent_confirmed"]
                else "",
            )
        except ImportRefused as refused:
            form.add_error("file", str(refused))
        else:
            return redirect("staff:members_import_detail", import_pk=member_import.pk)
    recent = MemberImport.objects.filter(organisation=organisation).select_related("by")[:10]
    status = 400 if form.errors else 200
    context = {"form": form, "recent": recent}
    return render(request, "staff/members/import.html", context, status=status)


def _import(import_pk: int) -> MemberImport:
    return get_object_or_404(MemberImport, pk=import_pk, organisation=_organisation())


@staff_view(IMPORT_PERMISSION)
@require_safe
def members_import_detail(request, import_pk: int):
    member_import = _import(import_pk)
    context = {"import": member_import, "progress": _progress(member_import)}
    if member_import.state == State.PREVIEWED:
        context |= _preview(member_import)
    return render(request, "staff/members/import_detail.html", context)


def _preview(member_import: MemberImport) -> dict:
    try:
        parsed = import_file(member_import)
    except (OSError, ImportRefused):
        return {"preview_missing": True}
    fields = list(parsed.columns)
    rows = rows_checked(parsed, stop=PREVIEW_ROWS)
    return {
        "columns": [
            {"label": LABELS[f], "header": parsed.headers[parsed.columns[f]]} for f in fields
        ],
        "ignored": [h for i, h in enumerate(parsed.headers) if i not in parsed.columns.values()],
        "rows": [
            {"line": r.line, "cells": [r.values.get(f, "") for f in fields], "errors": r.errors}
            for r in rows
        ],
        "valid": member_import.rows_total - member_import.rows_invalid,
    }


def _progress(member_import: MemberImport) -> dict:
    total, done = member_import.rows_total, member_import.rows_done
    progress = {"done": done, "total": total, "left": max(total - done, 0), "rate": None}
    progress["percent"] = round(100 * done / total) if total else 100
    if member_import.started_at and done:
        end = member_import.finished_at or timezone.now()
        seconds = max((end - member_import.started_at).total_seconds(), 0.001)
        progress["rate"] = round(done / seconds)
        if member_import.state == State.RUNNING and progress["rate"]:
            progress["minutes_left"] = max(round(progress["left"] / progress["rate"] / 60), 1)
    return progress


@staff_view(IMPORT_PERMISSION)
@require_POST
def members_import_start(request, import_pk: int):
    member_import = _import(import_pk)
    if member_import_start(
        member_import=member_import, record_job=member_import_job_record, by=request.user
    ):
        messages.success(request, _("The import has started. You can leave this page."))
    else:
        messages.error(request, _("This import has already started or was cancelled."))
    return redirect("staff:members_import_detail", import_pk=member_import.pk)


@staff_view(IMPORT_PERMISSION)
@require_POST
def members_import_cancel(request, import_pk: int):
    member_import = _import(import_pk)
    if member_import_cancel(member_import=member_import, by=request.user):
        messages.success(
            request, _("Cancelled. Rows imported before now stay; the file is deleted.")
        )
    else:
        messages.error(request, _("This import had already ended."))
    return redirect("staff:members_import_detail", import_pk=member_import.pk)


@staff_view("orgs.export_personal_data")
def members_export(request):
    organisation = _organisation()
    form = MemberSearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Fix the search before exporting."))
        return redirect(f"{reverse('staff:members')}?{request.GET.urlencode()}")
    filters = form.filters() if form.is_bound else MemberFilters()
    rows = members_filtered(organisation_id=organisation.pk, filters=filters)
    scope = request.GET.urlencode() or "all members"
    with reads_may_lag():  # the rows only; the export's record is written to the primary
        rows = keyset_rows(rows, EXPORT_COLUMNS)
    return personal_data_csv_response(
        user=request.user,
        what="Members",
        scope=scope,
        columns=EXPORT_COLUMNS,
        rows=rows,
        filename=f"members-{timezone.now().date().isoformat()}.csv",
    )
