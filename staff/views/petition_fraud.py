"""A petition's fraud tab: the report, drill-down to matching signatures, bulk actions.

Seeing needs petitions.view_signature; changing, petitions.change_signature. Every bulk
action is previewed (how many signatures it would change, and some of them) before the
confirming POST, and then runs in the background (petitions.services.bulk).
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from lib.keyset import keyset_page
from petitions import fraud
from petitions.fraud import flagged_count, flagged_signatures, fraud_report
from petitions.models import BulkAction, Signature
from petitions.services.bulk import (
    BulkActionRefused,
    BulkFilters,
    bulk_action_cancel,
    bulk_action_reverse,
    bulk_action_start,
    bulk_preview,
    signatures_matching,
)
from staff.access import staff_view
from staff.forms_fraud import (
    BulkConfirmForm,
    BulkKindForm,
    BulkReasonForm,
    FraudWindowForm,
    SignatureChoiceForm,
)
from staff.views.petition_tabs import country_label, petition_for, tab_context

VIEW = "petitions.view_signature"
CHANGE = "petitions.change_signature"
DRILL_PAGE = 50
HOUR = timedelta(hours=1)
RECENT_ACTIONS = 10
DIMENSION_LABELS = {
    "network": _("Client network"),
    "domain": _("Email domain"),
    "country": _("Country"),
}


@staff_view(VIEW)
@require_safe
def fraud_report_view(request, pk: int):
    petition = petition_for(pk)
    form = FraudWindowForm(request.GET or None)
    report, flagged = None, None
    if not form.is_bound or form.is_valid():
        start, end = form.span()
        report = fraud_report(petition_id=petition.pk, start=start, end=end)
        flagged = flagged_count(petition_id=petition.pk, start=start, end=end)
    context = tab_context(
        petition,
        "fraud",
        form=form,
        report=report,
        flagged_in_window=flagged,
        tables=_tables(report) if report else [],
        chart=_chart(report) if report else None,
        spike_factor=fraud.SPIKE_FACTOR,
        spike_min=fraud.SPIKE_MIN,
        rising_factor=fraud.RISING_FACTOR,
        rising_min=fraud.RISING_MIN,
        flagged=[_row(row) for row in flagged_signatures(petition_id=petition.pk)],
        actions=BulkAction.objects.filter(petition=petition).select_related("by")[:RECENT_ACTIONS],
        drill_url=reverse("staff:petition_fraud_signatures", args=[petition.pk]),
    )
    return render(request, "staff/petition_tabs/fraud.html", context, status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and not form.is_valid() else 200


def _tables(report) -> list[dict]:
    window = {"created_from": _moment(report.start), "created_before": _moment_after(report.end)}
    tables = []
    for dimension, rows in report.ranked.items():
        for row in rows:
            row.label = country_label(row.value) if dimension == "country" else row.value
            row.query = urlencode({**window, dimension: row.value}) if row.value else ""
        tables.append({"dimension": dimension, "label": DIMENSION_LABELS[dimension], "rows": rows})
    return tables


CHART_WIDTH = 720
CHART_HEIGHT = 120


def _chart(report) -> dict:
    """Bars of the hourly series, drawn server-side; spike hours also carry a mark."""
    peak = max((hour.count for hour in report.hours), default=0)
    step = CHART_WIDTH / max(len(report.hours), 1)
    bars = []
    for index, hour in enumerate(report.hours):
        height = round(hour.count * CHART_HEIGHT / peak, 1) if peak else 0
        x = round(index * step, 2)
        bars.append(
            {
                "x": x,
                "mid": round(x + step / 2, 2),
                "y": round(CHART_HEIGHT - height, 1),
                "width": round(max(step - 1, 0.5), 2),
                "height": height,
                "spike": hour.spike,
            }
        )
        hour.ratio = hour.count / report.median_hour if report.median_hour else None
        hour.query = urlencode(
            {"created_from": _moment(hour.at), "created_before": _moment(hour.at + HOUR)}
        )
    return {"bars": bars, "peak": peak, "width": CHART_WIDTH, "height": CHART_HEIGHT}


def _moment_after(at) -> str:
    """The first whole minute at or after `at`, so a link's window keeps its last seconds."""
    if at.second or at.microsecond:
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return _moment(at)


def _moment(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def _row(row: dict) -> dict:
    name = f"{row['first_name']} {row['last_name']}".strip()
    return {**row, "name": name, "country_name": country_label(row["country"])}


def _cursor(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@staff_view(VIEW)
@require_safe
def fraud_signatures(request, pk: int):
    """Drill-down: the signatures the filters choose, newest first, and (for those who may
    change them) a bulk action's preview and confirmation."""
    petition = petition_for(pk)
    form = SignatureChoiceForm(request.GET or None)
    context = tab_context(petition, "fraud", form=form, rows=[], filtered=False)
    if not form.is_bound or not form.is_valid():
        return render(
            request, "staff/petition_tabs/fraud_signatures.html", context, status=_status(form)
        )
    filters = form.filters()
    query = form.query()
    matching = signatures_matching(petition_id=petition.pk, filters=filters)
    page = keyset_page(
        matching, older_than=_cursor(request, "older"), newer_than=None, size=DRILL_PAGE
    )
    rows = Signature.objects.filter(id__in=page.ids).order_by("-id")
    context.update(
        filtered=not filters.is_empty(),
        query=query,
        count=matching.count(),
        rows=[
            _row(row)
            for row in rows.values(
                "id", "first_name", "last_name", "country", "ip_prefix", "state", "created_at"
            )
        ],
        older_query=urlencode({**query, "older": page.older_than}) if page.older_than else "",
        kind_form=BulkKindForm(request.GET if "kind" in request.GET else None),
    )
    if request.user.has_perm(CHANGE) and not filters.is_empty():
        context.update(_preview(request, petition, filters, context["kind_form"]))
    return render(request, "staff/petition_tabs/fraud_signatures.html", context)


def _preview(request, petition, filters: BulkFilters, kind_form) -> dict:
    if not kind_form.is_bound or not kind_form.is_valid():
        return {}
    kind = kind_form.cleaned_data["kind"]
    preview = bulk_preview(petition=petition, kind=kind, filters=filters)
    return {
        "preview": preview,
        "unchanged": preview.count - preview.would_change,
        "kind": kind,
        "kind_label": _(dict(BulkAction.Kind.choices)[kind]),
        "confirm_form": BulkConfirmForm(initial={"kind": kind}),
    }


BACK_VALUE_MAX = 300


@staff_view(CHANGE)
@require_POST
def bulk_action_new(request, pk: int):
    petition = petition_for(pk)
    form = BulkConfirmForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for field_errors in form.errors.values() for e in field_errors)
        messages.error(request, _("Nothing was changed. %(errors)s") % {"errors": errors})
        # The filters go back in the address so the preview shows again; a value too long
        # to be a filter is left out (an address has a length limit of its own).
        back = {
            k: v
            for k, v in request.POST.items()
            if k in form.fields and k != "reason" and len(v) <= BACK_VALUE_MAX
        }
        url = reverse("staff:petition_fraud_signatures", args=[petition.pk])
        return redirect(f"{url}?{urlencode(back)}" if back else url)
    try:
        action = bulk_action_start(
            petition=petition,
            kind=form.cleaned_data["kind"],
            filters=form.filters(),
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except BulkActionRefused as refused:
        messages.error(request, _("Nothing was changed. %(refused)s") % {"refused": refused})
        return redirect("staff:petition_fraud", pk=petition.pk)
    messages.success(
        request,
        _("Started: %(total)s matching signatures. The counts follow as it goes.")
        % {"total": action.total},
    )
    return redirect("staff:petition_bulk_action", pk=petition.pk, bulk_pk=action.pk)


def _action(petition, bulk_pk: int) -> BulkAction:
    return get_object_or_404(
        BulkAction.objects.select_related("by", "reverses"), pk=bulk_pk, petition=petition
    )


@staff_view(VIEW)
@require_safe
def bulk_action_detail(request, pk: int, bulk_pk: int):
    petition = petition_for(pk)
    action = _action(petition, bulk_pk)
    reversal = BulkAction.objects.filter(reverses=action).first()
    context = tab_context(
        petition,
        "fraud",
        action=action,
        progress=bulk_progress(action),
        filters=_filter_labels(action.filters),
        reversal=reversal,
        can_reverse=action.kind != BulkAction.Kind.REVERSE
        and action.state != BulkAction.State.RUNNING
        and reversal is None,
        reason_form=BulkReasonForm(),
    )
    return render(request, "staff/petition_tabs/bulk_action.html", context)


def bulk_progress(action: BulkAction) -> dict:
    left = max(action.total - action.done, 0)
    seconds = ((action.finished_at or timezone.now()) - action.created_at).total_seconds()
    rate = round(action.done / seconds) if seconds > 0 and action.done else None
    return {
        "total": action.total,
        "done": min(action.done, action.total),
        "left": left,
        "percent": round(action.done * 100 / action.total) if action.total else 100,
        "rate": rate,
        "seconds_left": round(left / rate) if rate and left else None,
    }


def _filter_labels(filters: dict) -> list[tuple[str, str]]:
    labels = {
        "network": _("Client network"),
        "domain": _("Email domain"),
        "country": _("Country"),
        "created_from": _("Signed from (UTC)"),
        "created_before": _("Signed before (UTC)"),
        "name": _("Name pattern"),
    }
    shown = []
    for key, label in labels.items():
        if filters.get(key):
            value = filters[key]
            if key == "country":
                value = country_label(value)
            elif key.startswith("created"):
                value = value[:16].replace("T", " ")
            shown.append((label, value))
    return shown


@staff_view(CHANGE)
@require_POST
def bulk_action_cancel_view(request, pk: int, bulk_pk: int):
    petition = petition_for(pk)
    action = _action(petition, bulk_pk)
    if bulk_action_cancel(action=action):
        messages.success(request, _("Cancelled. Signatures already changed stay changed."))
    else:
        messages.error(request, _("This bulk action had already ended."))
    return redirect("staff:petition_bulk_action", pk=petition.pk, bulk_pk=action.pk)


@staff_view(CHANGE)
@require_POST
def bulk_action_reverse_view(request, pk: int, bulk_pk: int):
    petition = petition_for(pk)
    action = _action(petition, bulk_pk)
    form = BulkReasonForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Nothing was changed. %(error)s") % {"error": form.errors["reason"][0]},
        )
        return redirect("staff:petition_bulk_action", pk=petition.pk, bulk_pk=action.pk)
    try:
        reversal = bulk_action_reverse(
            action=action, reason=form.cleaned_data["reason"], by=request.user
        )
    except BulkActionRefused as refused:
        messages.error(request, _("Nothing was changed. %(refused)s") % {"refused": refused})
        return redirect("staff:petition_bulk_action", pk=petition.pk, bulk_pk=action.pk)
    messages.success(request, _("Reversing: each signature goes back to the state it had."))
    return redirect("staff:petition_bulk_action", pk=petition.pk, bulk_pk=reversal.pk)
