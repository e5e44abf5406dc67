"""The embeddable widget: /p/<slug>/embed/ and its thank-you page (docs/widget.md).

The only pages other sites may frame. Inside another site's page the browser sends
none of Chorus's cookies, so these pages read none and set none: the form carries a
signed, time-limited token (petitions.embed) in place of the CSRF token, and the
partner is read from the address the form posts back to (?partner=), so the widget's
HTML is the same for every visitor and every partner, and the page cache keeps one
copy per petition and language.
"""

from functools import wraps

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from lib.mail import absolute_url
from members.consent import OPT_IN_WORDING, wording_in
from petitions import pages
from petitions.counting import petition_count
from petitions.embed import (
    PARTNER_PARAMETER,
    EmbedTokenRefused,
    embed_partner_id,
    embed_token_check,
    embed_token_make,
)
from petitions.forms import SignatureForm, form_data
from petitions.models import Channel, Petition
from petitions.services import PetitionClosed, signature_create
from petitions.views import signing_language

# Any site may frame the widget: it is pasted anywhere, and it acts only on what the person
# types into it (no cookie, no session), so framing it lends an attacker nothing.
FRAMABLE_POLICY = {"frame-ancestors": ["*"]}


def framable(view):
    """Let other origins frame this view's answers; every other policy stays as it is."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.xframe_options_exempt = True
        return response

    return xframe_options_exempt(csp_replace(FRAMABLE_POLICY)(wrapped))


def _embed_petition(slug: str) -> Petition:
    petition = pages.public_petition(slug)
    if petition is None:
        raise Http404("No such petition")
    return petition


def _fresh_petition(slug: str) -> Petition:
    """For the pages the page cache keeps: read afresh, as the petition page is."""
    petition = Petition.objects.public().select_related("organisation").filter(slug=slug).first()
    if petition is None:
        raise Http404("No such petition")
    return petition


def _shared(response: HttpResponse) -> HttpResponse:
    """The same answer for everyone: kept by the page cache like the petition page."""
    response.shared_cache = settings.PETITION_PAGE_CACHE_SECONDS
    patch_cache_control(response, public=True, max_age=settings.PETITION_PAGE_MAX_AGE)
    return response


@csrf_exempt  # no cookie reaches a third-party frame: the form token stands in (docs/widget.md)
@framable
@require_http_methods(["GET", "HEAD", "POST"])
def embed(request, slug):
    if request.method == "POST":
        return _embed_sign(request, slug)
    petition = _fresh_petition(slug)
    return _shared(_render_widget(request, petition, SignatureForm()))


def _embed_sign(request, slug):
    petition = _embed_petition(slug)
    form = SignatureForm(form_data(request))
    try:
        embed_token_check(token=request.POST.get("embed_token", ""), petition=petition)
    except EmbedTokenRefused as refused:
        form.is_valid()  # the fields come back as typed, with their own errors if any
        return _refused(request, petition, form, token_refused=refused.reason)
    if not form.is_valid():
        return _refused(request, petition, form)
    if form.is_bot:
        return HttpResponseRedirect(reverse("petitions:embed_thanks", args=[petition.slug]))
    partner_id = embed_partner_id(slug=request.GET.get(PARTNER_PARAMETER, ""), petition=petition)
    try:
        signature_create(
            petition=petition,
            data={**form.cleaned_data, "channel": Channel.WIDGET, "partner_id": partner_id},
            request_meta=request.META,
            language=signing_language(request),
        )
    except PetitionClosed:
        form.add_error(None, _("This petition is closed and no longer takes signatures."))
        return _refused(request, petition, form)
    # The same answer for a new signature and a repeat, without a cookie (docs/privacy.md).
    return HttpResponseRedirect(reverse("petitions:embed_thanks", args=[petition.slug]))


def _refused(request, petition, form, token_refused=""):
    """The widget again, with what was typed and what to do: never kept by any cache."""
    response = _render_widget(request, petition, form, token_refused=token_refused, status=400)
    add_never_cache_headers(response)
    return response


def _render_widget(request, petition, form, token_refused="", status=200):
    petition = pages.petition_in_language(petition)
    count = petition_count(petition)
    goal = petition.goal_at(count)
    context = {
        "petition": petition,
        "organisation": petition.organisation,
        "count": count,
        "goal": goal,
        "percent": pages.bar_percent(count, goal),
        "form": form,
        "embed_token": embed_token_make(petition=petition),
        "token_refused": token_refused,
        "page_url": absolute_url(petition.get_absolute_url()),
        "text_lang": pages.text_lang(petition),
        "opt_in_wording": wording_in(OPT_IN_WORDING, organisation=petition.organisation.name),
    }
    return render(request, "petitions/embed.html", context, status=status)


@framable
@require_safe
def embed_thanks(request, slug):
    """After signing in the widget: the same page for every signer, new or repeat."""
    petition = pages.petition_in_language(_fresh_petition(slug))
    links = [link for link in pages.share_links(petition) if not link.get("copy")]
    context = {
        "petition": petition,
        "organisation": petition.organisation,
        "share_links": links,
        "page_url": absolute_url(petition.get_absolute_url()),
    }
    return _shared(render(request, "petitions/embed_thanks.html", context))
