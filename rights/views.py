"""The public side of a person's rights: the request form and the pages behind its links.

The form's answer is the same for every valid address; the links show a button on GET
(mail scanners follow links) and act on POST. An expired, tampered, spent or
other-purpose link gets the same page, whichever it was.
"""

import json
from datetime import datetime

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from orgs.models import Organisation
from rights.copy import person_copy
from rights.forms import RightsRequestForm
from rights.models import RightsRequest
from rights.services import rights_erase_confirm, rights_link_for_token, rights_request_create

Purpose = RightsRequest.Purpose


def _organisation() -> Organisation:
    organisation = Organisation.objects.current()
    if organisation is None:
        raise Http404("No organisation is set up.")
    return organisation


@never_cache  # the page can show back what was typed
@require_http_methods(["GET", "POST"])
def request_form(request):
    organisation = _organisation()
    form = RightsRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        rights_request_create(
            organisation=organisation,
            email=form.cleaned_data["email"],
            purpose=form.cleaned_data["purpose"],
            request_meta=request.META,
            language=translation.get_language(),
        )
        # Post/redirect/get: a reload asks nothing again, and the answer is the same
        # redirect for every valid address.
        return redirect("rights:requested")
    status = 400 if form.is_bound else 200
    context = {"form": form, "hours": settings.RIGHTS_LINK_HOURS}
    return render(request, "rights/request.html", context, status=status)


def _invalid(request):
    return render(request, "rights/link_invalid.html", status=410)


@never_cache
@require_http_methods(["GET", "POST"])
def copy(request, token):
    link = rights_link_for_token(token, Purpose.COPY)
    if link is None:
        return _invalid(request)
    if request.method == "GET":
        return render(request, "rights/copy_ready.html")
    data = person_copy(organisation=link.organisation, email_key=link.email_key)
    if request.POST.get("format") == "json":
        response = HttpResponse(
            json.dumps(data, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="my-data.json"'
        return response
    return render(request, "rights/copy.html", {"data": _readable(data)})


def _readable(value, key: str = ""):
    """The copy for the page: its ISO times as datetimes, which the template formats."""
    if isinstance(value, dict):
        return {name: _readable(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_readable(item) for item in value]
    if isinstance(value, str) and (key == "at" or key.endswith(("_at", "since"))):
        return datetime.fromisoformat(value)
    return value


@never_cache
@require_http_methods(["GET", "POST"])
def erase(request, token):
    if request.method == "POST":
        if rights_erase_confirm(token=token):
            return redirect("rights:erased")
        return _invalid(request)
    link = rights_link_for_token(token, Purpose.ERASE)
    if link is None:
        return _invalid(request)
    data = person_copy(organisation=link.organisation, email_key=link.email_key)
    return render(request, "rights/erase_confirm.html", {"data": data})


@require_http_methods(["GET"])
def requested(request):
    return render(request, "rights/requested.html")


@require_http_methods(["GET"])
def erased(request):
    return render(request, "rights/erased.html")
