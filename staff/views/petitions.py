"""Petitions in the workspace: the list, creating and editing, and the status actions.

Views stay thin: the permission through staff_view, a form, a service from
petitions.services, a redirect. Counts come from PetitionCount, never from counting
signatures on a page view.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from lib.mail import absolute_url
from mailings.outcome import petition_signers_mailable_count
from orgs.models import Organisation
from petitions.counting import petition_count
from petitions.forms import PetitionForm, SourceFormSet, source_rows
from petitions.models import Petition, PetitionCount
from petitions.pages import render_markdown
from petitions.services import (
    PetitionAddressTaken,
    PetitionTransitionRefused,
    petition_close,
    petition_create,
    petition_declare_victory,
    petition_publish,
    petition_reopen,
    petition_update,
    update_create,
)
from staff.access import staff_view
from staff.forms_petition_tabs import OutcomeActionForm
from staff.views.petition_outcome import update_email_after_save

PER_PAGE = 50
TREND_DAYS = 14
# The sparkline's drawing box, in SVG units (the CSS sets its size on the page).
SPARK_WIDTH, SPARK_HEIGHT = 112, 28

STATUS_FILTERS = [
    ("", pgettext_lazy("petitions", "All")),
    (Petition.Status.DRAFT, pgettext_lazy("petitions", "Drafts")),
    (Petition.Status.OPEN, pgettext_lazy("petitions", "Open")),
    (Petition.Status.CLOSED, pgettext_lazy("petitions", "Closed")),
    (Petition.Status.WON, pgettext_lazy("petitions", "Victories")),
]


# --- The list -------------------------------------------------------------------------------


@dataclass
class Trend:
    total: int
    points: str  # the polyline's points
    area: str  # the same line closed along the bottom, for a soft fill
    peak: int

    @property
    def label(self) -> str:
        return ngettext(
            "%(total)s signature in the last %(days)s days",
            "%(total)s signatures in the last %(days)s days",
            self.total,
        ) % {"total": number_format(self.total, force_grouping=True), "days": TREND_DAYS}


def trend_days(today) -> list[str]:
    return [(today - timedelta(days=back)).isoformat() for back in range(TREND_DAYS - 1, -1, -1)]


def sparkline(daily: list[int]) -> Trend:
    """A small line of daily counts, scaled to its own peak (a flat line at zero when none)."""
    peak = max(daily, default=0)
    step = SPARK_WIDTH / max(len(daily) - 1, 1)
    top, bottom = 2, SPARK_HEIGHT - 2
    coords = [
        (round(i * step, 1), round(bottom - (n / peak) * (bottom - top), 1) if peak else bottom)
        for i, n in enumerate(daily)
    ]
    points = " ".join(f"{x:g},{y:g}" for x, y in coords)
    area = f"0,{SPARK_HEIGHT} {points} {SPARK_WIDTH},{SPARK_HEIGHT}"
    return Trend(total=sum(daily), points=points, area=area, peak=peak)


def _counts_for(petition_ids: list[int], days: list[str]) -> dict[int, dict]:
    """Each petition's total and its last days' counts, in one query."""
    rows = PetitionCount.objects.filter(petition_id__in=petition_ids).filter(
        Q(dimension=PetitionCount.Dimension.TOTAL)
        | Q(dimension=PetitionCount.Dimension.DAY, value__gte=days[0])
    )
    found = {pk: {"total": 0, "days": {}} for pk in petition_ids}
    for petition_id, dimension, value, count in rows.values_list(
        "petition_id", "dimension", "value", "count"
    ):
        if dimension == PetitionCount.Dimension.TOTAL:
            found[petition_id]["total"] = count
        else:
            found[petition_id]["days"][value] = count
    return found


def _status_tabs(current: str) -> list[dict]:
    counts = dict(Petition.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [
        {
            "value": value,
            "label": label,
            "count": sum(counts.values()) if not value else counts.get(value, 0),
            "current": value == current,
        }
        for value, label in STATUS_FILTERS
    ]


@staff_view("petitions.view_petition")
@require_safe
def petition_list(request):
    status = request.GET.get("status", "")
    if status not in Petition.Status.values:
        status = ""
    petitions = Petition.objects.order_by("-created_at", "-id").only(
        "id", "title", "target", "slug", "status", "goal", "goal_mode", "created_at"
    )
    if status:
        petitions = petitions.filter(status=status)
    page = Paginator(petitions, PER_PAGE).get_page(request.GET.get("page"))
    days = trend_days(timezone.now().date())
    counts = _counts_for([p.pk for p in page], days)
    may_edit = request.user.has_perm("petitions.change_petition")
    rows = []
    for petition in page:
        found = counts[petition.pk]
        rows.append(
            {
                "petition": petition,
                "url": _petition_home(petition, may_edit),
                "count": found["total"],
                "goal": petition.goal_at(found["total"]),
                "trend": sparkline([found["days"].get(day, 0) for day in days]),
            }
        )
    return render(
        request,
        "staff/petitions/list.html",
        {"rows": rows, "page": page, "status": status, "status_tabs": _status_tabs(status)},
    )


def _petition_home(petition: Petition, may_edit: bool) -> str:
    """A petition's page in the workspace: its overview once that exists, else its edit page
    (or, for those who may not edit, the preview of its public page)."""
    try:
        return reverse("staff:petition", args=[petition.pk])
    except NoReverseMatch:
        name = "staff:petition_edit" if may_edit else "petition_preview"
        return reverse(name, args=[petition.pk])


# --- Creating and editing -------------------------------------------------------------------


def _form_page(request, form, formset, *, petition=None, preview_html=None, status=200):
    if form.is_bound and not form.is_valid():
        form.image_keep()
    context = {
        "form": form,
        "formset": formset,
        "petition": petition,
        "story_html": preview_html or render_markdown(form["story"].value() or ""),
        "previewing": preview_html is not None,
        "errors": [] if preview_html is not None else _error_summary(form, formset),
    }
    if petition is not None:
        context["events"] = petition.events.select_related("by")[:30]
        context["actions"] = _actions_for(petition)
        context["count"] = petition_count(petition)
    template = "staff/petitions/edit.html" if petition else "staff/petitions/new.html"
    return render(request, template, context, status=status)


def _error_summary(form, formset) -> list[dict]:
    """The errors to list at the top, each linking to its field."""
    if not form.is_bound:
        return []
    found = [
        {"id": f"id_{name}", "label": _label(form, name), "message": m}
        for name, messages_ in form.errors.items()
        for m in messages_
    ]
    for form_ in formset.forms:
        for name, messages_ in form_.errors.items():
            field_id = f"id_{form_.prefix}-{name}"
            row = form_.prefix.rsplit("-", 1)[-1]
            label = _("Source %(number)s: %(label)s") % {
                "number": int(row) + 1,
                "label": _label(form_, name),
            }
            found += [{"id": field_id, "label": label, "message": m} for m in messages_]
    found += [
        {"id": "sources", "label": _("Sources"), "message": m} for m in formset.non_form_errors()
    ]
    return found


def _label(form, name: str) -> str:
    field = form.fields.get(name)
    return str(field.label) if field is not None and field.label else str(_("The form"))


def _formset_initial(petition: Petition | None) -> list[dict]:
    if petition is None:
        return []
    return list(petition.sources.values("title", "publisher", "url", "published_on"))


def _story_preview(request) -> str | None:
    """The story rendered for the no-script Preview button, or None on a normal submit."""
    if "preview_story" not in request.POST:
        return None
    return render_markdown(request.POST.get("story", ""))


@staff_view("petitions.add_petition")
def petition_new(request):
    if request.method != "POST":
        return _form_page(request, PetitionForm(), SourceFormSet(prefix="sources"))
    form = PetitionForm(request.POST, request.FILES)
    formset = SourceFormSet(request.POST, prefix="sources")
    preview_html = _story_preview(request)
    if preview_html is not None or not (form.is_valid() & formset.is_valid()):
        return _form_page(request, form, formset, preview_html=preview_html, status=200)
    data = form.petition_data() | {"sources": source_rows(formset)}
    try:
        petition = petition_create(
            organisation=Organisation.objects.current(), data=data, by=request.user
        )
    except PetitionAddressTaken as taken:
        form.add_error("slug", str(taken))
        return _form_page(request, form, formset, status=200)
    if form.kept is not None:
        form.kept.discard()
    messages.success(request, _("Petition created as a draft. Publish it when it is ready."))
    return redirect("staff:petition_edit", pk=petition.pk)


@staff_view("petitions.change_petition")
def petition_edit(request, pk):
    petition = get_object_or_404(Petition, pk=pk)
    initial = _formset_initial(petition)
    if request.method != "POST":
        form = PetitionForm(instance=petition)
        formset = SourceFormSet(prefix="sources", initial=initial)
        return _form_page(request, form, formset, petition=petition)
    # The form validates against a copy: a model form writes what it cleans onto its instance.
    form = PetitionForm(request.POST, request.FILES, instance=Petition.objects.get(pk=pk))
    formset = SourceFormSet(request.POST, prefix="sources", initial=initial)
    preview_html = _story_preview(request)
    if preview_html is not None or not (form.is_valid() & formset.is_valid()):
        return _form_page(request, form, formset, petition=petition, preview_html=preview_html)
    data = form.petition_data() | {"sources": source_rows(formset)}
    try:
        changed = petition_update(petition=petition, data=data, by=request.user)
    except PetitionAddressTaken as taken:
        form.add_error("slug", str(taken))
        return _form_page(request, form, formset, petition=petition)
    if form.kept is not None:
        form.kept.discard()
    messages.success(request, _("Changes saved.") if changed else _("Nothing had changed."))
    return redirect("staff:petition_edit", pk=petition.pk)


@staff_view("petitions.change_petition")
@require_POST
def petition_preview_markdown(request):
    """The story as the public page will show it, for the form's live preview (POST: story)."""
    html = render_markdown(request.POST.get("story", "")[:100_000])
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response


# --- Status actions -------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusAction:
    name: str  # the URL name's suffix and the template's switch
    verb: str  # the button
    service: object
    allowed_from: tuple[str, ...]
    done: str  # the message afterwards


ACTIONS = {
    "publish": StatusAction(
        "publish", _("Publish"), petition_publish, (Petition.Status.DRAFT,), _("Published.")
    ),
    "close": StatusAction(
        "close",
        _("Close"),
        petition_close,
        (Petition.Status.OPEN,),
        _("Closed to new signatures."),
    ),
    "reopen": StatusAction(
        "reopen",
        _("Reopen"),
        petition_reopen,
        (Petition.Status.CLOSED,),
        _("Open for signatures again."),
    ),
    "victory": StatusAction(
        "victory",
        _("Declare victory"),
        petition_declare_victory,
        (Petition.Status.OPEN, Petition.Status.CLOSED),
        _("Victory declared. Congratulations!"),
    ),
}


def _actions_for(petition: Petition) -> list[dict]:
    return [
        {"action": a, "url": reverse(f"staff:petition_{a.name}", args=[petition.pk])}
        for a in ACTIONS.values()
        if petition.status in a.allowed_from
    ]


OUTCOME_ACTIONS = ("close", "victory")  # these take options: signing, a message, the email


def _status_action(request, pk: int, action: StatusAction):
    petition = get_object_or_404(Petition, pk=pk)
    form = None
    if action.name in OUTCOME_ACTIONS:
        form = OutcomeActionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and (form is None or form.is_valid()):
        options = form.cleaned_data if form is not None else {}
        try:
            if action.name == "victory":
                action.service(
                    petition=petition, by=request.user, keep_signing=options["keep_signing"]
                )
            else:
                action.service(petition=petition, by=request.user)
        except PetitionTransitionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, action.done)
            if options.get("body"):
                _outcome_message(request, petition, options)
        return redirect("staff:petition_edit", pk=petition.pk)
    context = {
        "petition": petition,
        "action": action,
        "allowed": petition.status in action.allowed_from,
        "count": petition_count(petition),
        "public_url": absolute_url(petition.get_absolute_url()),
        "form": form,
    }
    if form is not None:
        context["recipients"] = petition_signers_mailable_count(petition)
    status = 400 if form is not None and form.errors else 200
    return render(request, "staff/petitions/confirm.html", context, status=status)


def _outcome_message(request, petition: Petition, options: dict) -> None:
    """The victory or closing message: posted as an update, and emailed if asked."""
    update = update_create(
        petition=petition,
        title=options["title"],
        body=options["body"],
        published_at=timezone.now(),
        by=request.user,
    )
    messages.success(request, _("The message is posted as an update."))
    if options.get("email_signers"):
        update_email_after_save(request, update)


@staff_view("petitions.change_petition")
def petition_publish_view(request, pk):
    return _status_action(request, pk, ACTIONS["publish"])


@staff_view("petitions.change_petition")
def petition_close_view(request, pk):
    return _status_action(request, pk, ACTIONS["close"])


@staff_view("petitions.change_petition")
def petition_reopen_view(request, pk):
    return _status_action(request, pk, ACTIONS["reopen"])


@staff_view("petitions.change_petition")
def petition_victory_view(request, pk):
    return _status_action(request, pk, ACTIONS["victory"])
