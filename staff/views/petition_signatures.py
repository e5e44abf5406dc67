"""A petition's signatures in the workspace: the list, one signature, its state actions."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from petitions.models import Signature
from petitions.selectors import SignatureFilters, signatures_page
from petitions.services import SignatureStateRefused, signature_set_state
from staff.access import staff_view
from staff.forms_petition_tabs import SignatureSearchForm, SignatureStateForm
from staff.views.petition_tabs import (
    channel_label,
    country_label,
    petition_for,
    signer_row,
    tab_context,
)

FILTER_FIELDS = ("q", "state", "channel", "country", "date_from", "date_to")
State = Signature.State


def _cursor(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@staff_view("petitions.view_petition")
@require_safe
def signature_list(request, pk: int):
    petition = petition_for(pk)
    form = SignatureSearchForm(request.GET or None)
    page = None
    if form.is_bound and not form.is_valid():
        filters = None
    else:
        filters = form.filters() if form.is_bound else SignatureFilters()
        page = signatures_page(
            petition_id=petition.pk,
            filters=filters,
            older_than=_cursor(request, "older"),
            newer_than=_cursor(request, "newer"),
        )
    kept = {f: request.GET[f] for f in FILTER_FIELDS if request.GET.get(f)}
    context = tab_context(
        petition,
        "signatures",
        form=form,
        page=page,
        rows=[signer_row(row) for row in page.rows] if page else [],
        filtered=bool(kept),
        on_first_page=not (_cursor(request, "older") or _cursor(request, "newer")),
        newer_query=_query(kept, newer=page and page.newer_than),
        older_query=_query(kept, older=page and page.older_than),
    )
    return render(request, "staff/petition_tabs/signatures.html", context)


def _query(kept: dict, **cursor) -> str:
    [(name, value)] = cursor.items()
    if value is None or value is False:
        return ""
    return "?" + urlencode({**kept, name: value})


@dataclass(frozen=True)
class Action:
    name: str
    to: str
    label: str
    consequence: str
    danger: bool = True


ACTIONS = {
    "invalidate": Action(
        "invalidate",
        State.INVALIDATED,
        _("Invalidate"),
        _(
            "It stops counting towards the petition and is left out of exports of confirmed "
            "signatures. You can reinstate it later."
        ),
    ),
    "fraudulent": Action(
        "fraudulent",
        State.FRAUDULENT,
        _("Mark as fraudulent"),
        _(
            "It stops counting towards the petition and is kept as evidence of fraud. You can "
            "reinstate it later."
        ),
    ),
    "reinstate": Action(
        "reinstate",
        State.CONFIRMED,
        _("Reinstate as confirmed"),
        _("It counts towards the petition again, as it did when the signer confirmed it."),
        danger=False,
    ),
}


def actions_for(signature: Signature) -> list[Action]:
    """The state changes that make sense from here. A signature the signer never
    confirmed cannot be made confirmed by staff: only their link proves the address."""
    if signature.state in Signature.LIVE_STATES:
        return [ACTIONS["invalidate"], ACTIONS["fraudulent"]]
    chosen = [ACTIONS["fraudulent" if signature.state == State.INVALIDATED else "invalidate"]]
    if signature.confirmed_at:
        chosen.append(ACTIONS["reinstate"])
    return chosen


def _signature(petition, signature_pk: int) -> Signature:
    return get_object_or_404(Signature, pk=signature_pk, petition=petition)


@staff_view("petitions.view_petition")
@require_safe
def signature_detail(request, pk: int, signature_pk: int):
    petition = petition_for(pk)
    return _detail(request, petition, _signature(petition, signature_pk))


def _detail(request, petition, signature: Signature, form=None, status: int = 200, opened=""):
    events = signature.events.select_related("by").order_by("at", "id")
    context = tab_context(
        petition,
        "signatures",
        signature=signature,
        name=f"{signature.first_name} {signature.last_name}".strip(),
        country_name=country_label(signature.country),
        channel_label=channel_label(signature.channel),
        events=[_event_row(event) for event in events],
        actions=actions_for(signature),
        state_form=form or SignatureStateForm(),
        open_action=opened,
    )
    return render(request, "staff/petition_tabs/signature.html", context, status=status)


def _event_row(event) -> dict:
    return {
        "from": _(State(event.from_state).label) if event.from_state in State.values else _("New"),
        "to": _(State(event.to_state).label) if event.to_state in State.values else event.to_state,
        "by": (event.by.get_full_name() or event.by.username) if event.by else _("The signer"),
        "at": event.at,
        "note": event.note,
        "bulk_action": event.bulk_action_id,
    }


@staff_view("petitions.change_signature")
@require_POST
def signature_state(request, pk: int, signature_pk: int):
    petition = petition_for(pk)
    signature = _signature(petition, signature_pk)
    action = ACTIONS.get(request.POST.get("action", ""))
    form = SignatureStateForm(request.POST)
    if action is None or action not in actions_for(signature):
        messages.error(request, _("That change does not apply to this signature any more."))
        return redirect("staff:petition_signature", pk=petition.pk, signature_pk=signature.pk)
    if not form.is_valid():
        return _detail(request, petition, signature, form=form, status=400, opened=action.name)
    try:
        signature_set_state(
            signature=signature, state=action.to, by=request.user, note=form.cleaned_data["note"]
        )
    except SignatureStateRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("Signature now %(label)s. The counts follow within seconds.")
            % {"label": str(_(State(action.to).label)).lower()},
        )
    return redirect("staff:petition_signature", pk=petition.pk, signature_pk=signature.pk)
