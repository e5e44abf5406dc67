"""Members in the workspace: the register (search, filters, keyset pages), one member's
whole history, the actions on a subscription (through members.services), and the
consent rules by country."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe
from django_countries import countries

from mailings.history import member_clicks, member_mailings
from members.models import ConsentRecord, Member, Suppression
from members.selectors import MemberFilters, members_page
from members.selectors import consent_rules as consent_rules_for
from members.services import (
    SubscriptionRefused,
    consent_rule_remove,
    consent_rule_set,
)
from members.services import member_suppress as suppress
from members.services import member_unsubscribe as unsubscribe
from orgs.models import Organisation
from petitions.models import Signature
from rights.services import ERASED_PREFIX, person_erase
from staff.access import staff_view
from staff.forms_members import ConsentRuleForm, MemberSearchForm, ReasonForm
from staff.forms_search import country_code

FILTER_FIELDS = ("q", "status", "country", "joined_from", "joined_to")
SIGNATURES_SHOWN = 100
CONSENTS_SHOWN = 200
Status = Member.Status
# Statuses staff may still unsubscribe from: the others are unsubscribed already.
UNSUBSCRIBABLE = (Status.NONE, Status.PENDING, Status.SUBSCRIBED)


def _organisation() -> Organisation:
    organisation = Organisation.objects.current()
    if organisation is None:  # an installation not set up yet has no register
        raise Http404("No organisation is set up.")
    return organisation


def _cursor(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _query(kept: dict, **cursor) -> str:
    [(name, value)] = cursor.items()
    if value is None or value is False:
        return ""
    return "?" + urlencode({**kept, name: value})


def _country_name(code) -> str:
    code = str(code or "")
    return countries.name(code) or code


@staff_view("members.view_member")
@require_safe
def member_list(request):
    form = MemberSearchForm(request.GET or None)
    page = None
    if not form.is_bound or form.is_valid():
        page = members_page(
            organisation_id=_organisation().pk,
            filters=form.filters() if form.is_bound else MemberFilters(),
            older_than=_cursor(request, "older"),
            newer_than=_cursor(request, "newer"),
        )
    kept = {f: request.GET[f] for f in FILTER_FIELDS if request.GET.get(f)}
    rows = [
        row
        | {
            "name": f"{row['first_name']} {row['last_name']}".strip(),
            "country_name": _country_name(row["country"]),
            "status_label": _(Status(row["status"]).label),
        }
        for row in (page.rows if page else [])
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "filtered": bool(kept),
        "on_first_page": not (_cursor(request, "older") or _cursor(request, "newer")),
        "newer_query": _query(kept, newer=page and page.newer_than),
        "older_query": _query(kept, older=page and page.older_than),
    }
    return render(request, "staff/members/list.html", context)


def _member(member_pk: int) -> Member:
    return get_object_or_404(Member, pk=member_pk, organisation=_organisation())


@staff_view("members.view_member")
@require_safe
def member_detail(request, member_pk: int):
    return _detail(request, _member(member_pk))


def _detail(request, member: Member, form=None, opened: str = "", status: int = 200):
    signatures = (
        Signature.objects.filter(member=member)
        .select_related("petition")
        .order_by("-id")[:SIGNATURES_SHOWN]
    )
    consents = ConsentRecord.objects.filter(member=member).select_related("by")
    suppression = Suppression.objects.filter(
        organisation_id=member.organisation_id, email_key=member.email_key
    ).first()
    mailings_received, mailings_total = member_mailings(member_id=member.pk)
    context = {
        "member": member,
        "name": f"{member.first_name} {member.last_name}".strip(),
        "mailings_received": mailings_received,
        "mailings_total": mailings_total,
        "clicks": member_clicks(member_id=member.pk),
        "country_name": _country_name(member.country),
        "suppression": suppression,
        "signatures": [_signature_row(s) for s in signatures],
        "signatures_capped": len(signatures) == SIGNATURES_SHOWN,
        "consents": [_consent_row(c) for c in consents.order_by("-at", "-id")[:CONSENTS_SHOWN]],
        "can_unsubscribe": member.status in UNSUBSCRIBABLE,
        "can_suppress": (suppression is None or suppression.reason == "unsubscribed")
        and not member.email_key.startswith(ERASED_PREFIX),
        "erased": member.email_key.startswith(ERASED_PREFIX),
        "form": form or ReasonForm(),
        "opened": opened,
    }
    return render(request, "staff/members/member.html", context, status=status)


def _signature_row(signature: Signature) -> dict:
    return {
        "id": signature.pk,
        "petition_id": signature.petition_id,
        "petition": signature.petition.title,
        "state": signature.state,
        "state_label": _(Signature.State(signature.state).label),
        "created_at": signature.created_at,
        "confirmed_at": signature.confirmed_at,
    }


def _consent_row(consent: ConsentRecord) -> dict:
    by = consent.by
    return {
        "at": consent.at,
        "action": consent.action,
        "action_label": _("Opted in") if consent.action == "granted" else _("Withdrawn"),
        "wording": consent.wording,
        "version": consent.wording_version,
        "source_label": _(ConsentRecord.SourceKind(consent.source_kind).label),
        "source": consent.source,
        "reason": consent.reason,
        "by": (by.get_full_name() or by.username) if by else "",
    }


@staff_view("members.change_member")
@require_POST
def member_unsubscribe(request, member_pk: int):
    member = _member(member_pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _detail(request, member, form=form, opened="unsubscribe", status=400)
    try:
        unsubscribe(
            member=member,
            source=ConsentRecord.SourceKind.STAFF,
            reason=form.cleaned_data["reason"],
            where="The staff workspace",
            by=request.user,
        )
    except SubscriptionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Unsubscribed. No mailing will reach this address."))
    return redirect("staff:member", member_pk=member.pk)


@staff_view("members.change_member")
@require_POST
def member_suppress(request, member_pk: int):
    member = _member(member_pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _detail(request, member, form=form, opened="suppress", status=400)
    suppress(
        organisation_id=member.organisation_id,
        email_key=member.email_key,
        reason=Suppression.Reason.STAFF,
        note=form.cleaned_data["reason"],
        by=request.user,
    )
    messages.success(
        request, _("Suppressed. No mailing will reach this address, even if they opt in again.")
    )
    return redirect("staff:member", member_pk=member.pk)


@staff_view("members.change_countryconsentrule")
def consent_rules(request):
    organisation = _organisation()
    form = ConsentRuleForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("remove"):
            return _rule_remove(request, organisation)
        form = ConsentRuleForm(request.POST)
        if form.is_valid():
            consent_rule_set(organisation_id=organisation.pk, **form.cleaned_data)
            name = _country_name(form.cleaned_data["country"])
            messages.success(
                request,
                _("Saved the rule for %(name)s. It applies to opt-ins from now on.")
                % {"name": name},
            )
            return redirect("staff:members_consent_rules")
        status = 400
    context = {"form": form, "rules": consent_rules_for(organisation_id=organisation.pk)}
    return render(request, "staff/members/consent_rules.html", context, status=status)


def _rule_remove(request, organisation):
    try:
        code = country_code(request.POST["remove"][:60])
    except ValidationError:
        code = ""
    if code:
        consent_rule_remove(organisation_id=organisation.pk, country=code)
        messages.success(
            request,
            _("%(country_name)s follows the built-in default again.")
            % {"country_name": _country_name(code)},
        )
    else:
        messages.error(request, _("That rule no longer exists."))
    return redirect("staff:members_consent_rules")


@staff_view("rights.erase_person")
@require_POST
def member_erase(request, member_pk: int):
    """Erase a person on their request: signatures anonymised, the member record too."""
    member = _member(member_pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _detail(request, member, form=form, opened="erase", status=400)
    erasure = person_erase(
        organisation=member.organisation,
        email_key=member.email_key,
        by=request.user,
        reason=form.cleaned_data["reason"],
    )
    count = len(erasure.signature_ids)
    messages.success(
        request,
        ngettext(
            "Erased: the member record and %(count)s signature no longer hold a name, "
            "address or postcode. Counts are unchanged.",
            "Erased: the member record and %(count)s signatures no longer hold a name, "
            "address or postcode. Counts are unchanged.",
            count,
        )
        % {"count": count},
    )
    return redirect("staff:member", member_pk=member.pk)
