"""The workspace's Mailings section: compose, preview, test, schedule, follow and report.

The views are thin: every change goes through mailings.services, which refuses what the
mailing's state does not allow; the figures come from staff.views.mailings_report.
"""

import re

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from lib.keyset import keyset_page
from mailings import services
from mailings.models import Mailing, MailingEvent, Recipient
from mailings.outcome import petition_signers_mailable_count
from mailings.render import Member as PreviewMember
from mailings.render import mailing_compile
from mailings.services import MailingRefused
from orgs.models import Organisation
from staff.access import staff_view
from staff.forms_mailings import MailingForm, PreviewAsForm, ScheduleForm
from staff.views.mailings_report import (
    SERIES,
    mailing_chart,
    mailing_counts,
    mailing_progress,
    report_rows,
    variant_rows,
)

State = Mailing.State
FAILURES_PER_PAGE = 50
TESTS_PER_HOUR = 10
# The preview is the member's email, shown in a sandboxed frame: no script runs in it,
# it loads nothing but inline styles and https images, and only this site may frame it.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "sandbox allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'self'; "
    "form-action 'none'; base-uri 'none'"
)
SAMPLE_READER = PreviewMember(first_name="")
_BODY = re.compile(r"<body[^>]*>")


def _organisation() -> Organisation:
    organisation = Organisation.objects.current()
    if organisation is None:
        raise Http404("No organisation is set up.")
    return organisation


def _mailing(mailing_pk: int) -> Mailing:
    return get_object_or_404(
        Mailing.objects.select_related("organisation", "segment", "petition"),
        pk=mailing_pk,
        organisation=_organisation(),
    )


def _segment_size(mailing: Mailing) -> int | None:
    """How many members the mailing would reach now: its segment's mailable members.

    Through mailings.segments (the segments lane) when it is there; None when it is not.
    """
    if mailing.audience == Mailing.Audience.SIGNERS:  # an update or outcome email
        return petition_signers_mailable_count(mailing.petition)
    if mailing.segment is None:
        return None
    try:
        from mailings.segments import segment_mailable
    except ImportError:
        return None
    return segment_mailable(
        organisation=mailing.organisation, definition=mailing.segment.definition
    ).count()


def _segments_url() -> str:
    try:
        return reverse("staff:segments")
    except NoReverseMatch:
        return ""


# ---- The list ----------------------------------------------------------------------------


@staff_view("mailings.view_mailing")
@require_safe
def mailing_list(request):
    organisation = _organisation()
    mailings = list(
        Mailing.objects.filter(organisation=organisation)
        .select_related("segment")
        .annotate(
            sent=Count("recipients", filter=Q(recipients__sent_at__isnull=False)),
            clicked=Count("recipients", filter=Q(recipients__first_clicked_at__isnull=False)),
        )
        .order_by("-created_at", "-id")[:200]
    )
    return render(
        request,
        "staff/mailings/list.html",
        {"mailings": mailings, "can_add": request.user.has_perm("mailings.add_mailing")},
    )


# ---- Composing ---------------------------------------------------------------------------


def _compose(request, organisation, mailing: Mailing | None):
    initial = MailingForm.initial_from(mailing) if mailing else {}
    if mailing is None and settings.MAILING_SENDERS:
        initial["from_address"] = settings.MAILING_SENDERS[0]
    form = MailingForm(request.POST or None, initial=initial, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            if mailing is None:
                mailing = services.mailing_create(
                    organisation=organisation, data=form.service_data(), by=request.user
                )
            else:
                services.mailing_update(mailing=mailing, data=form.service_data(), by=request.user)
        except MailingRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Saved."))
            if "send" in request.POST:
                return redirect("staff:mailing_send", mailing_pk=mailing.pk)
            return redirect("staff:mailing_edit", mailing_pk=mailing.pk)
    context = {
        "form": form,
        "mailing": mailing,
        "preview_form": PreviewAsForm(),
        "segments_url": _segments_url(),
        "variant_fields": [form[f"variant_{letter}"] for letter in "abcd"],
    }
    return render(
        request, "staff/mailings/compose.html", context, status=400 if form.errors else 200
    )


@staff_view("mailings.add_mailing")
def mailing_new(request):
    return _compose(request, _organisation(), None)


@staff_view("mailings.change_mailing")
def mailing_edit(request, mailing_pk: int):
    mailing = _mailing(mailing_pk)
    if mailing.state not in services.EDITABLE:
        messages.info(
            request,
            _("This mailing is %(state)s: it can no longer be changed.")
            % {"state": _(mailing.get_state_display()).lower()},
        )
        return redirect("staff:mailing", mailing_pk=mailing.pk)
    return _compose(request, mailing.organisation, mailing)


# ---- Preview and test --------------------------------------------------------------------


def _preview_response(mailing: Mailing, member) -> HttpResponse:
    rendered = mailing_compile(mailing).personalise(member or SAMPLE_READER, None)
    envelope = (
        '<div style="font:14px/1.5 Arial,sans-serif;color:#1d1d1b;background:#fff;'
        'padding:10px 14px;border-bottom:1px solid #ddd;">'
        f"<div><b>From:</b> {escape(mailing.from_name)} "
        f"&lt;{escape(mailing.from_address)}&gt;</div>"
        f"<div><b>Subject:</b> {escape(rendered.subject)}</div>"
        + (
            f"<div><b>Preview text:</b> {escape(rendered.preheader)}</div>"
            if rendered.preheader
            else ""
        )
        + "</div>"
    )
    html = _BODY.sub(lambda m: m.group(0) + envelope, rendered.html, count=1)
    response = HttpResponse(html)
    response["Content-Security-Policy"] = PREVIEW_CSP
    response["Referrer-Policy"] = "no-referrer"
    return response


def _problem_page(lines: list[str]) -> HttpResponse:
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    response = HttpResponse(
        "<!doctype html><meta charset=utf-8><title>Preview</title>"
        f"<p>The preview shows once these are fixed:</p><ul>{items}</ul>",
        status=200,
    )
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response


@staff_view("mailings.add_mailing")
@require_POST
@xframe_options_sameorigin
def mailing_preview_draft(request):
    """The compose form as the member would read it, for the page's preview frame."""
    organisation = _organisation()
    form = MailingForm(request.POST, organisation=organisation)
    preview = PreviewAsForm(request.POST)
    if not form.is_valid():
        errors = [
            f"{form.fields[name].label if name in form.fields else 'Mailing'}: {error}"
            for name, errors in form.errors.items()
            for error in errors
            if name in ("body", "subject", "preheader", "petition", "__all__")
        ]
        if errors:
            return _problem_page(errors)
    data = form.cleaned_data
    mailing = Mailing(
        organisation=organisation,
        from_address=data.get("from_address", ""),
        subject=data.get("subject", ""),
        preheader=data.get("preheader", ""),
        body=data.get("body", ""),
        petition=data.get("petition"),
        from_name=data.get("from_name", ""),
    )
    member = preview.member_for(organisation)
    if preview.is_valid() and preview.cleaned_data["member"] and member is None:
        return _problem_page([_("No member has that email address or number.")])
    return _preview_response(mailing, member)


@staff_view("mailings.view_mailing")
@xframe_options_sameorigin
def mailing_preview(request, mailing_pk: int):
    """A saved mailing as a member would read it (?member= an address or number)."""
    mailing = _mailing(mailing_pk)
    preview = PreviewAsForm(request.GET or None)
    member = preview.member_for(mailing.organisation)
    if preview.is_bound and preview.is_valid() and preview.cleaned_data["member"] and not member:
        return _problem_page([_("No member has that email address or number.")])
    return _preview_response(mailing, member)


@staff_view("mailings.change_mailing")
@require_POST
def mailing_test(request, mailing_pk: int):
    """Send the mailing to the signed-in colleague, "[Test]" in front of its subject."""
    mailing = _mailing(mailing_pk)
    key = f"mailing-tests:{request.user.pk}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > TESTS_PER_HOUR:
        messages.error(
            request,
            _("You have sent %(tests)s tests this hour: wait a little.")
            % {"tests": TESTS_PER_HOUR},
        )
        return redirect(_back(request, mailing))
    preview = PreviewAsForm(request.POST)
    member = preview.member_for(mailing.organisation) or SAMPLE_READER
    try:
        services.mailing_test_send(
            mailing=mailing, member=member, to=request.user.email, by=request.user
        )
    except MailingRefused as refused:
        messages.error(request, refused.message)
    except OSError:
        messages.error(request, _("The mail server could not be reached: try again later."))
    else:
        messages.success(
            request, _("A test is on its way to %(email)s.") % {"email": request.user.email}
        )
    return redirect(_back(request, mailing))


def _back(request, mailing: Mailing) -> str:
    if request.POST.get("back") == "edit" and mailing.state in services.EDITABLE:
        return reverse("staff:mailing_edit", args=[mailing.pk])
    return reverse("staff:mailing", args=[mailing.pk])


# ---- Sending -----------------------------------------------------------------------------


@staff_view("mailings.send_mailing")
def mailing_send(request, mailing_pk: int):
    """The confirmation: who gets it and when; schedule or send now."""
    mailing = _mailing(mailing_pk)
    if mailing.state != State.DRAFT:
        messages.info(
            request,
            _("This mailing is %(state)s.") % {"state": _(mailing.get_state_display()).lower()},
        )
        return redirect("staff:mailing", mailing_pk=mailing.pk)
    form = ScheduleForm(request.POST or None)
    problems = services.mailing_problems(mailing)
    if request.method == "POST" and form.is_valid() and not problems:
        try:
            services.mailing_schedule(mailing=mailing, at=form.cleaned_data["at"], by=request.user)
        except MailingRefused as refused:
            form.add_error(None, refused.message)
        else:
            if form.cleaned_data["at"] is None:
                messages.success(request, _("Sending: it starts within a minute."))
            else:
                messages.success(request, _("Scheduled."))
            return redirect("staff:mailing", mailing_pk=mailing.pk)
    context = {
        "mailing": mailing,
        "form": form,
        "problems": problems,
        "size": _segment_size(mailing),
        "variants": list(mailing.variants.all()),
        "time_zone": settings.TIME_ZONE,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "staff/mailings/send.html", context, status=status)


def _action(request, mailing_pk: int, service, done: str):
    mailing = _mailing(mailing_pk)
    try:
        result = service(mailing=mailing, by=request.user)
    except MailingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done.format(n=result if isinstance(result, int) else 0))
    return redirect("staff:mailing", mailing_pk=mailing.pk)


@staff_view("mailings.send_mailing")
@require_POST
def mailing_unschedule(request, mailing_pk: int):
    return _action(request, mailing_pk, services.mailing_unschedule, _("Back to a draft."))


@staff_view("mailings.send_mailing")
@require_POST
def mailing_pause(request, mailing_pk: int):
    return _action(
        request, mailing_pk, services.mailing_pause, _("Paused: messages in flight still go.")
    )


@staff_view("mailings.send_mailing")
@require_POST
def mailing_resume(request, mailing_pk: int):
    return _action(request, mailing_pk, services.mailing_resume, _("Resumed."))


@staff_view("mailings.send_mailing")
@require_POST
def mailing_retry(request, mailing_pk: int):
    return _action(
        request,
        mailing_pk,
        services.mailing_retry_failed,
        "{n} failed recipients will be tried again.",
    )


@staff_view("mailings.send_mailing")
def mailing_cancel(request, mailing_pk: int):
    """GET asks to confirm; POST cancels."""
    if request.method == "POST":
        return _action(
            request,
            mailing_pk,
            services.mailing_cancel,
            _("Cancelled: {n} recipients were not sent."),
        )
    mailing = _mailing(mailing_pk)
    counts = mailing_counts(mailing)
    return render(request, "staff/mailings/cancel.html", {"mailing": mailing, "counts": counts})


# ---- Following and the report ------------------------------------------------------------


@staff_view("mailings.view_mailing")
@require_safe
def mailing_detail(request, mailing_pk: int):
    mailing = _mailing(mailing_pk)
    counts = mailing_counts(mailing)
    older = request.GET.get("older", "")
    newer = request.GET.get("newer", "")
    failed = Recipient.objects.filter(mailing=mailing, state=Recipient.State.FAILED)
    page = keyset_page(
        failed,
        older_than=int(older) if older.isdigit() and len(older) < 19 else None,
        newer_than=int(newer) if newer.isdigit() and len(newer) < 19 else None,
        size=FAILURES_PER_PAGE,
    )
    failures = (
        Recipient.objects.filter(pk__in=page.ids)
        .select_related("member")
        .only("pk", "last_error", "attempts", "member__first_name", "member__last_name")
        .order_by("-pk")
        if page.ids
        else []
    )
    chart = mailing_chart(mailing)
    user = request.user
    context = {
        "mailing": mailing,
        "progress": mailing_progress(mailing, counts),
        "counts": counts,
        "report": report_rows(counts),
        "variants": variant_rows(mailing),
        "chart": chart,
        "series": SERIES,
        "failures": failures,
        "failures_page": page,
        "events": MailingEvent.objects.filter(mailing=mailing).select_related("by")[:20],
        "can_send": user.has_perm("mailings.send_mailing"),
        "can_change": user.has_perm("mailings.change_mailing"),
        "editable": mailing.state in services.EDITABLE,
        "preview_form": PreviewAsForm(),
    }
    return render(request, "staff/mailings/detail.html", context)


@staff_view("mailings.view_mailing")
@require_safe
def mailing_progress_json(request, mailing_pk: int):
    mailing = _mailing(mailing_pk)
    return JsonResponse(mailing_progress(mailing, mailing_counts(mailing)))
