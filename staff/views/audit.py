"""The audit log in the workspace: read-only, newest first, filtered, in keyset pages.

Owners (and superusers) hold `orgs.view_auditevent`; nobody holds a permission to change
or delete a row, and this module offers no way to.
"""

from urllib.parse import urlencode

from django.contrib.auth.models import Group, User
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from lib.keyset import keyset_page
from mailings.models import Mailing
from members.models import Member, MemberImport
from orgs.models import AuditEvent, ExportRecord, Invitation
from petitions.models import Petition
from staff.access import staff_view
from staff.forms_audit import AuditFilters, AuditSearchForm

PAGE_SIZE = 50
FILTER_FIELDS = ("q", "action", "who", "since", "until")

# Targets named by what they are today: model label -> (model, URL name or None where the
# workspace has no page for it, how to name it).
LINKED = {
    "auth.group": (Group, None, lambda g: f"Role “{g.name}”"),
    "orgs.exportrecord": (ExportRecord, None, lambda e: f"Export #{e.pk}"),
    "orgs.invitation": (Invitation, None, lambda i: f"Invitation #{i.pk} as {i.role}"),
    "petitions.petition": (Petition, "staff:petition", lambda p: f"Petition “{p.title}”"),
    "auth.user": (User, "staff:people_person", lambda u: f"Staff account {u.get_username()}"),
    "members.member": (Member, "staff:member", lambda m: f"Member #{m.pk}"),
    "members.memberimport": (
        MemberImport,
        "staff:members_import_detail",
        lambda i: f"Member import #{i.pk}",
    ),
    "mailings.mailing": (Mailing, "staff:mailing", lambda m: f"Mailing “{m.name}”"),
}


def audit_events_filtered(filters: AuditFilters):
    events = AuditEvent.objects.all()
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.actor_id is not None:
        events = events.filter(actor_id=filters.actor_id)
    if filters.by_chorus:
        events = events.filter(actor__isnull=True)
    if filters.since:
        events = events.filter(at__gte=filters.since)
    if filters.before:
        events = events.filter(at__lt=filters.before)
    if filters.text:
        events = events.filter(
            Q(summary__icontains=filters.text) | Q(target__icontains=filters.text)
        )
    return events


def _cursor(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _query(kept: dict, **cursor) -> str:
    [(name, value)] = cursor.items()
    if value is None:
        return ""
    return "?" + urlencode({**kept, name: value})


def _split_target(target: str) -> tuple[str, int | None]:
    label, _, pk = target.partition(":")
    return label, int(pk) if pk.isdigit() and len(pk) < 19 else None


def _targets(events: list[AuditEvent]) -> dict[str, dict]:
    """Each named target still there: its link, if any, and today's name (one query per
    kind)."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        label, pk = _split_target(event.target)
        if label in LINKED and pk is not None:
            wanted.setdefault(label, set()).add(pk)
    found = {}
    for label, pks in wanted.items():
        model, url_name, name = LINKED[label]
        for instance in model.objects.filter(pk__in=pks):
            found[f"{label}:{instance.pk}"] = {
                "url": reverse(url_name, args=[instance.pk]) if url_name else "",
                "name": name(instance),
            }
    return found


def _detail_items(detail) -> list[tuple[str, str]]:
    """The detail as label and value pairs a person reads ("Rows: 120")."""
    if not isinstance(detail, dict):
        return [(_("Detail"), str(detail))]
    items = []
    for key, value in detail.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k.replace('_', ' ')}: {_plain(v)}" for k, v in value.items())
        items.append((str(key).replace("_", " ").capitalize(), _plain(value)))
    return items


def _plain(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    if value is None or value == "":
        return "none"
    return str(value)


def _rows(events: list[AuditEvent]) -> list[dict]:
    targets = _targets(events)
    return [
        {
            "event": event,
            "who": event.actor_name or "Chorus",
            "target": targets.get(event.target),
            "detail": _detail_items(event.detail),
        }
        for event in events
    ]


@staff_view("orgs.view_auditevent")
@require_safe
def audit_log(request):
    form = AuditSearchForm(request.GET or None)
    rows, page = [], None
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else AuditFilters()
        page = keyset_page(
            audit_events_filtered(filters).order_by(),
            older_than=_cursor(request, "older"),
            newer_than=_cursor(request, "newer"),
            size=PAGE_SIZE,
        )
        events = list(AuditEvent.objects.filter(id__in=page.ids).order_by("-id"))
        rows = _rows(events)
    kept = {f: request.GET[f] for f in FILTER_FIELDS if request.GET.get(f)}
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "filtered": bool(kept),
        "on_first_page": not (_cursor(request, "older") or _cursor(request, "newer")),
        "newer_query": _query(kept, newer=page and page.newer_than),
        "older_query": _query(kept, older=page and page.older_than),
    }
    return render(request, "staff/audit/list.html", context)
