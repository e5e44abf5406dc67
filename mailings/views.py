"""Public views of mailings: what a member's links lead to.

None of them tells a stranger anything: a token that is not genuine gets the same
answer as a genuine one (the unsubscribe pages), or the same 404 (a click link), or
the same {"recognised": false} (recognition). None of them is a login.
"""

import base64

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lib.i18n import language_tag
from lib.jsonlimit import json_rate_limited
from mailings.tracking import (
    click_target,
    open_count,
    recipient_unsubscribe,
    recognise,
    recognised_sign,
)
from petitions.models import Channel
from petitions.views import _remember_confirmation

# RFC 8058: a mail provider's one-click unsubscribe posts exactly this body.
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
# A one-pixel transparent GIF (open tracking, when switched on).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _unsubscribe_page(request, action: str, *, done: bool) -> HttpResponse:
    template = "mailings/unsubscribed.html" if done else "mailings/unsubscribe.html"
    response = render(request, template, {"action": action})
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # RFC 8058: mail providers post the one-click body without any token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET: a page with one button (mail scanners follow links, so a GET changes nothing).
    POST, from that button or a mail provider's one-click: unsubscribed at once.

    The same pages whether the token is genuine or not, so they tell nobody whether
    an address is a member; a POST without a genuine token changes nothing.
    """
    action = reverse("mailings:unsubscribe", args=[token])
    if request.method == "POST":
        how = "one-click" if request.POST.get("List-Unsubscribe") == "One-Click" else "page"
        recipient_unsubscribe(token=token, how=how)
        return _unsubscribe_page(request, action, done=True)
    return _unsubscribe_page(request, action, done=False)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe_preview(request):
    """The unsubscribe link of a preview or test send: the same pages, changing nothing."""
    action = reverse("mailings:unsubscribe_preview")
    return _unsubscribe_page(request, action, done=request.method == "POST")


@never_cache
@require_safe
def click(request, token, link):
    """A tracked link: counted, then on to where the mailing pointed (never elsewhere)."""
    target = click_target(token=token, link=link, record=request.method == "GET")
    if target is None:
        raise Http404("No such link")
    response = HttpResponseRedirect(target)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # a read: it changes nothing, and the sign button below is CSRF-checked
@never_cache
@require_POST
@json_rate_limited
def recognise_json(request):
    """Who a mailing's link recognises on a petition page, for the page's script.

    POST, so the token travels in the body, never in a URL a log keeps. Only the first
    name, and only for a genuine, unexpired token about this very petition for a member
    who still hears from us; anything else gets the same {"recognised": false}.
    """
    found = recognise(token=request.POST.get("token", ""), slug=request.POST.get("petition", ""))
    if found is None:
        return _no_store(JsonResponse({"recognised": False}))
    answer = {
        "recognised": True,
        "first_name": found.member.first_name,
        "petition": found.petition.slug,
    }
    return _no_store(JsonResponse(answer))


@never_cache
@require_POST
def recognised_sign_view(request):
    """The "Sign now" button of a recognised member: one press, one signature.

    CSRF-checked as the sign form is (the page's script fills in the token). Without a
    genuine token for this petition, back to the petition's own form.
    """
    slug = request.POST.get("petition", "")
    found = recognise(token=request.POST.get("token", ""), slug=slug)
    if found is None:
        return _back_to_petition(slug)
    result = recognised_sign(
        recognised=found,
        request_meta=request.META,
        language=language_tag(request.META.get("HTTP_ACCEPT_LANGUAGE", "")),
    )
    if result is None:
        return _back_to_petition(slug)
    response = redirect("petitions:confirmed", slug=found.petition.slug)
    # The link was sent to the member's own address: this browser may be told it signed.
    _remember_confirmation(request, response, found.petition.pk)
    return _no_store(response)


def _back_to_petition(slug: str) -> HttpResponse:
    from petitions import pages

    petition = pages.public_petition(slug) if isinstance(slug, str) and len(slug) < 100 else None
    if petition is None:
        return _no_store(redirect("home"))
    url = reverse("petitions:detail", kwargs={"slug": petition.slug})
    return _no_store(HttpResponseRedirect(f"{url}?ch={Channel.MAILING.value}"))


@never_cache
@require_safe
def open_pixel(request, token):
    """Counts an open of a mailing, as a number only; nothing when tracking is off."""
    if settings.MAILING_OPEN_TRACKING and request.method == "GET":
        open_count(token=token)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response
