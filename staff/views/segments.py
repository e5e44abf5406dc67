"""Segments in the workspace: the list, the builder (with its live count), and delete.

The builder is one form that works without script: condition rows (a formset with a few
blank rows), a Count button that shows the count on the page again, and Save. With the
script (static/chorus/staff-segments.js) the count follows every edit through
`segment_count`, which takes the definition as JSON and answers {"count": n, "mailable": m}
or {"errors": [...]}.
"""

import json

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from mailings.models import Segment
from mailings.segments import (
    EMPTY_DEFINITION,
    SegmentCountTooSlow,
    SegmentInUse,
    SegmentInvalid,
    definitions_describe,
    segment_counts,
    segment_create,
    segment_delete,
    segment_unsent_mailings,
    segment_update,
)
from orgs.models import Organisation
from staff.access import staff_view
from staff.forms_segments import SegmentForm, condition_formset

COUNT_BODY_MAX = 64 * 1024
LIST_COUNTED = 50
TOO_SLOW = _("Counting took too long and was stopped. Try fewer conditions, or count again later.")


def _organisation() -> Organisation:
    organisation = Organisation.objects.current()
    if organisation is None:
        raise Http404("No organisation is set up.")
    return organisation


def _segment(organisation, segment_pk: int) -> Segment:
    return get_object_or_404(Segment, pk=segment_pk, organisation=organisation)


@staff_view("mailings.view_segment")
@require_safe
def segment_list(request):
    """Every segment; counted here only when asked (?count=1), the first LIST_COUNTED of
    them, each bounded in time. The page's script counts them one by one instead."""
    organisation = _organisation()
    segments = list(Segment.objects.filter(organisation=organisation).order_by("name")[:500])
    descriptions = definitions_describe(
        organisation=organisation, definitions=[segment.definition for segment in segments]
    )
    counted = request.GET.get("count") == "1"
    rows = []
    for number, (segment, description) in enumerate(zip(segments, descriptions, strict=True)):
        row = {"segment": segment, "description": description}
        if counted and number < LIST_COUNTED:
            try:
                row["counts"] = segment_counts(
                    organisation=organisation, definition=segment.definition
                )
            except SegmentCountTooSlow:
                row["uncounted"] = _("Too slow to count")
            except SegmentInvalid:
                row["uncounted"] = _("Needs fixing")
        rows.append(row)
    return render(request, "staff/segments/list.html", {"rows": rows, "counted": counted})


@staff_view("mailings.add_segment")
def segment_new(request):
    return _builder(request, _organisation(), None)


@staff_view("mailings.change_segment")
def segment_edit(request, segment_pk: int):
    organisation = _organisation()
    return _builder(request, organisation, _segment(organisation, segment_pk))


def _builder(request, organisation, segment):
    definition = _stored(segment.definition if segment else None)
    if request.method != "POST":
        form = SegmentForm(
            initial={"name": segment.name if segment else "", "match": definition["match"]}
        )
        rows = condition_formset(organisation=organisation, definition=definition)
        return _page(request, organisation, segment, form, rows)
    form = SegmentForm(request.POST)
    rows = condition_formset(organisation=organisation, data=request.POST)
    valid = form.is_valid() & rows.is_valid()
    if not valid:
        return _page(request, organisation, segment, form, rows, status=400)
    definition = rows.definition(form.cleaned_data["match"])
    if request.POST.get("action") == "count":
        return _page(request, organisation, segment, form, rows, counted=definition)
    if not form.cleaned_data["name"]:
        form.add_error("name", _("Give the segment a name to save it."))
        return _page(request, organisation, segment, form, rows, status=400)
    try:
        if segment is None:
            segment = segment_create(
                organisation=organisation,
                name=form.cleaned_data["name"],
                definition=definition,
                by=request.user,
            )
        else:
            segment_update(
                segment=segment,
                name=form.cleaned_data["name"],
                definition=definition,
                by=request.user,
            )
    except SegmentInvalid as invalid:
        for message in invalid.messages:
            form.add_error(
                "name" if message.startswith("Name: ") else None, message.removeprefix("Name: ")
            )
        return _page(request, organisation, segment, form, rows, status=400)
    messages.success(request, _("Saved the segment “%(name)s”.") % {"name": segment.name})
    return redirect("staff:segments")


def _stored(definition) -> dict:
    """A stored definition as the form shows it, whatever shape an old row is in."""
    if not isinstance(definition, dict):
        return EMPTY_DEFINITION
    conditions = definition.get("conditions")
    return {
        "match": "any" if definition.get("match") == "any" else "all",
        "conditions": [c for c in conditions if isinstance(c, dict)][:20]
        if isinstance(conditions, list)
        else [],
    }


def _page(request, organisation, segment, form, rows, status=200, counted=None):
    counts = too_slow = None
    if counted is not None:
        try:
            counts = segment_counts(organisation=organisation, definition=counted)
        except SegmentCountTooSlow:
            too_slow = TOO_SLOW
    context = {
        "segment": segment,
        "form": form,
        "rows": rows,
        "counts": counts,
        "too_slow": too_slow,
        "row_errors": [
            (number, error)
            for number, row in enumerate(rows.forms, start=1)
            for error in row.non_field_errors()
        ]
        if rows.is_bound
        else [],
    }
    return render(request, "staff/segments/builder.html", context, status=status)


@staff_view("mailings.view_segment")
@require_POST
def segment_count(request):
    """The live count: POST {"definition": {...}} or {"segment": id} as JSON."""
    organisation = _organisation()
    if len(request.body) > COUNT_BODY_MAX:
        return _errors([_("The definition is too long.")], status=413)
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _errors([_("The request was not valid JSON.")])
    if not isinstance(payload, dict):
        return _errors([_("The request must be an object with a definition.")])
    definition = payload.get("definition")
    if "segment" in payload:
        segment_id = payload["segment"]
        if isinstance(segment_id, bool) or not isinstance(segment_id, int):
            return _errors([_("No such segment.")], status=404)
        segment = Segment.objects.filter(pk=segment_id, organisation=organisation).first()
        if segment is None:
            return _errors([_("No such segment.")], status=404)
        definition = segment.definition
    try:
        counts = segment_counts(organisation=organisation, definition=definition)
    except SegmentInvalid as invalid:
        return _errors(invalid.messages)
    except SegmentCountTooSlow:
        return _errors([TOO_SLOW], status=503)
    return JsonResponse({"count": counts.members, "mailable": counts.mailable})


def _errors(errors: list[str], status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


@staff_view("mailings.delete_segment")
def segment_delete_view(request, segment_pk: int):
    organisation = _organisation()
    segment = _segment(organisation, segment_pk)
    waiting = list(segment_unsent_mailings(segment)[:10])
    if request.method == "POST":
        try:
            segment_delete(segment=segment, by=request.user)
        except SegmentInUse as refused:
            messages.error(request, str(refused))
            return redirect("staff:segment_delete", segment_pk=segment.pk)
        messages.success(request, _("Deleted the segment “%(name)s”.") % {"name": segment.name})
        return redirect("staff:segments")
    return render(request, "staff/segments/delete.html", {"segment": segment, "waiting": waiting})
