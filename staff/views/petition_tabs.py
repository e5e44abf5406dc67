"""One petition in the workspace: its overview and its export tab.

The signatures tab is in petition_signatures.py, the updates tab in petition_updates.py.
Every number on these pages comes from the folded counts (PetitionCount) or from a read
that stops early (petitions.selectors), so a petition with a million signatures answers
as fast as one with ten.
"""

from datetime import timedelta

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django_countries import countries

from petitions.exports import signatures_export_response
from petitions.models import Channel, Petition, Signature
from petitions.selectors import latest_signatures, pending_count, petition_counts
from staff.access import staff_view

TREND_DAYS = 14
TOP_COUNTRIES = 10


def petition_for(pk: int) -> Petition:
    return get_object_or_404(Petition.objects.select_related("organisation"), pk=pk)


def public_link(petition: Petition) -> tuple[str, str]:
    if petition.status == Petition.Status.DRAFT:
        return reverse("petition_preview", args=[petition.pk]), _("Preview the page")
    return petition.get_absolute_url(), _("Open the public page")


def tab_context(petition: Petition, tab: str, **more) -> dict:
    url, label = public_link(petition)
    return {"petition": petition, "tab": tab, "public_url": url, "public_label": label, **more}


@staff_view("petitions.view_petition")
@require_safe
def petition_overview(request, pk: int):
    petition = petition_for(pk)
    counts = petition_counts(petition_id=petition.pk)
    confirmed = counts["total"].get("", 0)
    pending, pending_more = pending_count(petition_id=petition.pk)
    context = tab_context(
        petition,
        "overview",
        confirmed=confirmed,
        pending=pending,
        pending_more=pending_more,
        goal=petition.goal,
        goal_percent=min(100, round(confirmed * 100 / petition.goal)) if petition.goal else 0,
        channels=_shares(counts["channel"], confirmed, channel_label),
        countries=_shares(counts["country"], confirmed, country_label),
        top_countries=TOP_COUNTRIES,
        days=_last_days(counts["day"]),
        latest=[signer_row(row) for row in latest_signatures(petition_id=petition.pk)],
    )
    return render(request, "staff/petition_tabs/overview.html", context)


def channel_label(value: str) -> str:
    return _(Channel(value).label) if value in Channel.values else value


def country_label(code: str) -> str:
    return countries.name(code) or code or _("Unknown")


def _shares(by_value: dict[str, int], total: int, label) -> list[dict]:
    rows = [
        {"label": label(value), "count": count, "percent": count * 100 / total if total else 0}
        for value, count in by_value.items()
        if count
    ]
    return sorted(rows, key=lambda row: (-row["count"], row["label"]))


def _last_days(by_day: dict[str, int]) -> dict:
    today = timezone.now().date()  # the series is kept by UTC day, as USE_TZ stores time
    days = [today - timedelta(days=back) for back in range(TREND_DAYS - 1, -1, -1)]
    rows = [{"day": day, "count": by_day.get(day.isoformat(), 0)} for day in days]
    peak = max((row["count"] for row in rows), default=0)
    width, height, gap = 28, 120, 6
    for index, row in enumerate(rows):
        bar = round(row["count"] * height / peak) if peak else 0
        row.update(x=index * (width + gap), y=height - bar, height=bar, width=width)
    return {
        "rows": rows,
        "peak": peak,
        "total": sum(row["count"] for row in rows),
        "chart_width": TREND_DAYS * (width + gap) - gap,
        "chart_height": height,
    }


def signer_row(row: dict) -> dict:
    return {
        **row,
        "name": f"{row['first_name']} {row['last_name']}".strip(),
        "country_name": country_label(row["country"]),
        "channel_label": channel_label(row["channel"]),
        "state_label": _(Signature.State(row["state"]).label),
    }


EXPORT_SCOPES = {
    "confirmed": (_("Confirmed signatures only"), [Signature.State.CONFIRMED]),
    "live": (_("Confirmed and awaiting confirmation"), Signature.LIVE_STATES),
}


@staff_view("orgs.export_personal_data")
def petition_export(request, pk: int):
    petition = petition_for(pk)
    refused = ""
    if request.method == "POST":
        scope = request.POST.get("scope", "confirmed")
        if scope in EXPORT_SCOPES:
            return _export_download(request, petition, scope)
        refused = _("Choose which signatures to export.")
    counts = petition_counts(petition_id=petition.pk)
    context = tab_context(
        petition,
        "export",
        confirmed=counts["total"].get("", 0),
        scopes=[(key, label) for key, (label, _) in EXPORT_SCOPES.items()],
        refused=refused,
    )
    return render(
        request, "staff/petition_tabs/export.html", context, status=400 if refused else 200
    )


def _export_download(request, petition: Petition, scope: str):
    label, states = EXPORT_SCOPES[scope]
    today = timezone.now().date().isoformat()
    return signatures_export_response(
        request,
        Signature.objects.filter(petition=petition, state__in=states),
        what=f"Signatures of “{petition.title}” ({label.lower()})",
        scope=f"petition id {petition.pk}; states: {', '.join(states)}",
        filename=f"{petition.slug}-signatures-{scope}-{today}.csv",
    )
