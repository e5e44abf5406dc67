from functools import lru_cache

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from lib.i18n import language_tag
from lib.jsonlimit import json_rate_limited
from petitions import pages
from petitions.counting import petition_count
from petitions.forms import ResendForm, SignatureForm, form_data
from petitions.models import Petition
from petitions.selectors import signature_for_token
from petitions.services import (
    PetitionClosed,
    signature_confirm,
    signature_create,
    signature_resend_confirmation,
)

# Proof that this browser opened a confirmation link: the petitions it confirmed a
# signature on. Only the owner of an address can get it, so "you have signed" is
# never told to someone who merely typed an address. One cookie for every petition:
# petition ids stay out of cookie names.
OWNER_COOKIE = "chorus_confirmed"
OWNER_COOKIE_SALT = "chorus.confirmed"
OWNER_COOKIE_AGE = 60 * 60 * 24 * 365
OWNER_COOKIE_PETITIONS = 50


def _public_petition(slug: str) -> Petition:
    petition = pages.public_petition(slug)
    if petition is None:
        raise Http404("No such petition")
    return petition


def _confirmed_petitions(request) -> list[int]:
    value = request.get_signed_cookie(
        OWNER_COOKIE, default="", salt=OWNER_COOKIE_SALT, max_age=OWNER_COOKIE_AGE
    )
    return [int(pk) for pk in value.split(".") if pk.isdigit()]


def _owns_signature(request, petition: Petition) -> bool:
    return petition.pk in _confirmed_petitions(request)


def _remember_confirmation(request, response, petition_id: int) -> None:
    kept = [pk for pk in _confirmed_petitions(request) if pk != petition_id]
    petitions = [petition_id, *kept][:OWNER_COOKIE_PETITIONS]
    response.set_signed_cookie(
        OWNER_COOKIE,
        ".".join(map(str, petitions)),
        salt=OWNER_COOKIE_SALT,
        max_age=OWNER_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


@lru_cache(maxsize=4096)
def _thanks_path(slug: str, script_prefix: str, language: str) -> str:
    """reverse() took a twentieth of a signature's CPU; a petition's path does not change."""
    return reverse("petitions:thanks", kwargs={"slug": slug})


def signing_language(request) -> str:
    """The language of the page signed on (its URL's), with the browser's region when the
    browser prefers that same language: "fr-CA" on a French page, "en" on English from a
    German browser that chose English. The signer's emails go in this language."""
    page = translation.get_language()
    preferred = language_tag(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
    return preferred if preferred.partition("-")[0] == page else page


@require_safe
def petition_detail(request, slug):
    """The petition page: the same HTML for every visitor, so it is kept whole.

    The page cache (chorus.pagecache) keeps it for PETITION_PAGE_CACHE_SECONDS and
    gives it its ETag, compression, 304s and HEAD answers; a kept copy touches
    neither the database nor Redis and sets no cookie.
    """
    html = pages.petition_page(slug, request.path_info)
    if html is None:
        raise Http404("No such petition")
    response = HttpResponse(html)
    response.shared_cache = settings.PETITION_PAGE_CACHE_SECONDS
    patch_cache_control(
        response, public=True, max_age=settings.PETITION_PAGE_MAX_AGE, stale_while_revalidate=30
    )
    return response


@require_safe
def signers(request, slug, page=1):
    """The signers who chose to be shown, a page at a time, the same for every visitor.

    Only the newest PUBLIC_SIGNERS_CAP of them (pages.public_signers): past the last
    page, a 404. Kept by the page cache as the petition page is (its path holds the page).
    """
    petition = pages.petition_in_language(_public_petition(slug))
    pages_total = pages.public_signers_pages(petition)
    if not 1 <= page <= pages_total or (page == 1 and "page" in request.resolver_match.kwargs):
        raise Http404("No such page")
    response = render(
        request,
        "petitions/signers.html",
        {
            "petition": petition,
            "organisation": petition.organisation,
            "signers": pages.public_signers_page(petition, page),
            "page": page,
            "pages_total": pages_total,
            "cap": settings.PUBLIC_SIGNERS_CAP,
        },
    )
    response.shared_cache = settings.PETITION_PAGE_CACHE_SECONDS
    patch_cache_control(response, public=True, max_age=settings.PETITION_PAGE_MAX_AGE)
    return response


@require_safe
def updates(request, slug, page):
    """Older updates, a page at a time (the petition page shows the newest); kept whole."""
    petition = pages.petition_in_language(_public_petition(slug))
    pages_total = pages.published_update_pages(petition)
    if not 2 <= page <= pages_total:
        raise Http404("No such page")
    shown = pages.published_updates(petition, page)
    response = render(
        request,
        "petitions/updates.html",
        {
            "petition": petition,
            "organisation": petition.organisation,
            "updates": [(u, pages.render_markdown(u.body)) for u in shown],
            "page": page,
            "pages_total": pages_total,
        },
    )
    response.shared_cache = settings.PETITION_PAGE_CACHE_SECONDS
    patch_cache_control(response, public=True, max_age=settings.PETITION_PAGE_MAX_AGE)
    return response


@never_cache
@require_GET
@json_rate_limited
def visitor_state(request, slug):
    """What the page's own script fills in per visitor: the CSRF token, whether signed.

    "Signed" only for a browser that confirmed a signature here through its email link.
    """
    petition = _public_petition(slug)
    return JsonResponse({"csrf": get_token(request), "signed": _owns_signature(request, petition)})


@require_safe
@json_rate_limited
def count_json(request, slug):
    """A tiny answer the page polls, and that a CDN may cache for a few seconds."""
    petition = _public_petition(slug)
    count = petition_count(petition)
    goal = petition.goal_at(count)
    response = JsonResponse({"count": count, "goal": goal})
    patch_cache_control(response, public=True, max_age=3)
    response.shared_cache = settings.COUNT_CACHE_SECONDS
    return response


@never_cache
@require_POST
def sign(request, slug):
    petition = _public_petition(slug)
    form = SignatureForm(form_data(request))
    if not form.is_valid():
        return _render_form_page(request, petition, form, status=400)
    if form.is_bot:
        # Look like success to the bot; store nothing.
        return redirect("petitions:thanks", slug=petition.slug)
    try:
        signature_create(
            petition=petition,
            data=form.cleaned_data,
            request_meta=request.META,
            language=signing_language(request),
        )
    except PetitionClosed:
        form.add_error(None, _("This petition is closed and no longer takes signatures."))
        return _render_form_page(request, petition, form, status=400)
    # A new signature and a repeat get the same answer, without a cookie: nothing
    # in it may tell whether this address had signed. (signature_create does the
    # same work for both, so the time taken does not tell either.)
    # HttpResponseRedirect, not redirect(): given a path, redirect() first tries it
    # as a URL name, and that failing lookup walked every pattern on each signature.
    return HttpResponseRedirect(
        _thanks_path(petition.slug, get_script_prefix(), translation.get_language())
    )


def _render_form_page(request, petition, form, status=200):
    context = pages.petition_context(petition)
    context.update(form=form, csrf_token_value=get_token(request))
    return render(request, "petitions/detail.html", context, status=status)


@never_cache
@require_GET
def thanks(request, slug):
    petition = pages.petition_in_language(_public_petition(slug))
    # From the proof of ownership alone, never from what was just submitted.
    already = _owns_signature(request, petition)
    return render(
        request,
        "petitions/thanks.html",
        {
            "petition": petition,
            "already": already,
            "share_links": pages.share_links(petition),
            "resend_form": ResendForm(),
        },
    )


@never_cache
@require_POST
def resend(request, slug):
    petition = pages.petition_in_language(_public_petition(slug))
    form = ResendForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "petitions/thanks.html",
            {
                "petition": petition,
                "share_links": pages.share_links(petition),
                "resend_form": form,
            },
            status=400,
        )
    signature_resend_confirmation(
        petition=petition, email=form.cleaned_data["email"], request_meta=request.META
    )
    return render(request, "petitions/resent.html", {"petition": petition})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET shows a button; only the POST confirms, because mail scanners follow links."""
    if request.method == "POST":
        signature = signature_confirm(token=token)
        if signature is not None:
            response = redirect("petitions:confirmed", slug=signature.petition.slug)
            _remember_confirmation(request, response, signature.petition_id)
            return response
    else:
        signature = signature_for_token(token)
        if signature is not None:
            return render(
                request,
                "petitions/confirm.html",
                {
                    "petition": pages.petition_in_language(signature.petition),
                    "signature": signature,
                },
            )
    return render(request, "petitions/confirm_invalid.html", status=410)


@never_cache
@require_GET
def confirmed(request, slug):
    petition = pages.petition_in_language(_public_petition(slug))
    return render(
        request,
        "petitions/confirmed.html",
        {
            "petition": petition,
            "share_links": pages.share_links(petition),
        },
    )


@never_cache  # the page echoes what was typed: no browser or proxy may keep it
def csrf_failure(request, reason=""):
    """A stale or missing token must not lose a signature: show the form again, filled in."""
    match = getattr(request, "resolver_match", None)
    if match and match.view_name == "petitions:sign":
        try:
            petition = _public_petition(match.kwargs["slug"])
        except Http404:
            petition = None
        if petition is not None:
            form = SignatureForm(request.POST)
            form.is_valid()
            context = pages.petition_context(petition)
            context.update(form=form, csrf_expired=True, csrf_token_value=get_token(request))
            return render(request, "petitions/detail.html", context, status=403)
    return render(request, "403_csrf.html", status=403)


@never_cache
@staff_member_required
@permission_required("petitions.view_petition", raise_exception=True)
@require_safe
def petition_preview(request, pk):
    """Staff see a draft exactly as the public will, before publishing it."""
    petition = get_object_or_404(Petition.objects.select_related("organisation"), pk=pk)
    context = pages.petition_context(petition)
    context["preview"] = True
    return render(request, "petitions/detail.html", context)


@require_safe
def home(request):
    petitions = Petition.objects.public().order_by("-published_at")[:20]
    return render(request, "home.html", {"petitions": petitions})
