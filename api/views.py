"""The public read-only API and the partner API's signature route (docs/api.md).

Public answers hold petitions and folded counts only (PetitionCount, never a scan of
Signature): nothing about a person. They are open to every origin for GET, HEAD and
OPTIONS, cacheable with an ETag, and limited per client network (lib.jsonlimit).
"""

import hashlib
import json
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.csrf import csrf_exempt

from api import selectors
from api.models import ApiToken
from api.openapi import openapi_schema
from api.tokens import api_token_authenticate
from lib.i18n import language_tag
from lib.jsonlimit import json_rate_limited, too_many_requests
from lib.ratelimit import window_hit
from lib.replica import lagging_view
from members.consent import OPT_IN_WORDING, OPT_IN_WORDING_VERSION
from orgs.models import Organisation
from petitions import pages
from petitions.forms import SignatureForm
from petitions.models import Channel
from petitions.services import PetitionClosed, signature_create

READ_METHODS = ("GET", "HEAD", "OPTIONS")
PARTNER_WINDOW = 60
# The fields a partner may send: the sign form's, less its hidden ones (channel, honeypot).
SIGN_FIELDS = ("first_name", "last_name", "email", "country", "postcode", "comment")
SIGN_FLAGS = ("show_name", "opt_in")
SIGN_OTHER = ("opt_in_wording_version", "language")


def api_error(status: int, message: str, **extra) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    add_never_cache_headers(response)
    return response


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
    return response


def public_read(view):
    """GET/HEAD/OPTIONS only, open to every origin, limited per network, with an ETag."""
    limited = json_rate_limited(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "If-None-Match"
            response["Access-Control-Max-Age"] = "86400"
            return _cors(response)
        if request.method not in READ_METHODS:
            response = api_error(405, "Only GET, HEAD and OPTIONS are allowed here.")
            response["Allow"] = ", ".join(READ_METHODS)
            return response
        response = limited(request, *args, **kwargs)
        if response.status_code == 200:
            response = _conditional(request, response)
        return _cors(response)

    wrapped.json_rate_limited = True
    return wrapped


def _conditional(request, response: HttpResponse) -> HttpResponse:
    etag = f'"{hashlib.blake2b(response.content, digest_size=16).hexdigest()}"'
    response["ETag"] = etag
    asked = request.META.get("HTTP_IF_NONE_MATCH", "")
    if etag in [tag.strip().removeprefix("W/") for tag in asked.split(",")]:
        not_modified = HttpResponseNotModified()
        for header in ("ETag", "Cache-Control", "Vary"):
            if header in response:
                not_modified[header] = response[header]
        return not_modified
    return response


def _cached(response: JsonResponse, *, max_age: int, shared: float = 0) -> JsonResponse:
    patch_cache_control(response, public=True, max_age=max_age)
    if shared:
        response.shared_cache = shared
    return response


def _page(request) -> int | None:
    value = request.GET.get("page", "1")
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        return None
    page = int(value)
    return page if 1 <= page <= settings.API_MAX_PAGE else None


@public_read
@lagging_view
def petition_list(request):
    status = request.GET.get("status", "")
    if status and status not in selectors.API_STATUSES:
        return api_error(400, "status must be one of: open, closed, won.", field="status")
    page = _page(request)
    if page is None:
        return api_error(
            400, f"page must be a whole number from 1 to {settings.API_MAX_PAGE}.", field="page"
        )
    items, has_next = selectors.petitions_page(status=status, page=page)
    body = {
        "results": items,
        "page": page,
        "next": _page_url(status, page + 1) if has_next else None,
        "previous": _page_url(status, page - 1) if page > 1 else None,
    }
    return _cached(JsonResponse(body), max_age=settings.API_MAX_AGE)


def _page_url(status: str, page: int) -> str:
    query = QueryDict(mutable=True)
    if status:
        query["status"] = status
    query["page"] = str(page)
    return f"{settings.BASE_URL}/api/v1/petitions/?{query.urlencode()}"


@public_read
@lagging_view
def petition_detail(request, slug):
    petition = pages.public_petition(slug)
    if petition is None:
        return api_error(404, "No such petition.")
    body = selectors.petition_detail(petition)
    return _cached(JsonResponse(body), max_age=settings.API_MAX_AGE, shared=settings.API_MAX_AGE)


@public_read
@lagging_view
def petition_count(request, slug):
    petition = pages.public_petition(slug)
    if petition is None:
        return api_error(404, "No such petition.")
    body = selectors.petition_count_body(petition)
    return _cached(JsonResponse(body), max_age=3, shared=settings.COUNT_CACHE_SECONDS)


@public_read
def openapi(request):
    response = JsonResponse(openapi_schema(), json_dumps_params={"indent": 1})
    return _cached(response, max_age=300, shared=60)


def docs(request):
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    context = {
        "organisation": Organisation.objects.current(),
        "base_url": settings.BASE_URL,
        "example_slug": selectors.example_slug(),
        "opt_in_wording": OPT_IN_WORDING,
        "opt_in_version": OPT_IN_WORDING_VERSION,
        "per_minute": settings.PUBLIC_JSON_PER_MINUTE,
        "partner_per_minute": settings.API_PARTNER_PER_MINUTE,
    }
    response = render(request, "api/docs.html", context)
    patch_cache_control(response, public=True, max_age=300)
    response.shared_cache = 60  # the same for everyone: kept by the page cache
    return response


def api_not_found(request, rest=""):
    return api_error(404, "No such API endpoint. The endpoints are listed at /api/v1/.")


@csrf_exempt  # bearer tokens, never cookies: nothing a browser sends on its own counts here
def petition_sign(request, slug):
    """A partner signs a petition for a person, through the form's validation and service."""
    if request.method != "POST":
        response = api_error(405, "Only POST is allowed here.")
        response["Allow"] = "POST"
        return response
    token = api_token_authenticate(request.META.get("HTTP_AUTHORIZATION", ""))
    if token is None:
        response = api_error(401, "Send a valid token: Authorization: Bearer <token>.")
        response["WWW-Authenticate"] = 'Bearer realm="chorus"'
        return response
    if ApiToken.Scope.SIGNATURES_WRITE not in token.scopes:
        return api_error(403, "This token may not create signatures (signatures:write).")
    count = window_hit(f"api-token:{token.pk}", window=PARTNER_WINDOW)
    if count > settings.API_PARTNER_PER_MINUTE:
        return too_many_requests(retry_after=PARTNER_WINDOW)
    petition = pages.public_petition(slug)
    if petition is None:
        return api_error(404, "No such petition.")
    if not petition.is_open:
        return api_error(409, "This petition is closed and no longer takes signatures.")
    data, errors = _sign_data(request)
    if errors:
        return api_error(400, "Some fields need attention.", errors=errors)
    form = SignatureForm(data)
    if not form.is_valid():
        return api_error(400, "Some fields need attention.", errors=_form_errors(form))
    try:
        signature_create(
            petition=petition,
            data={**form.cleaned_data, "channel": Channel.PARTNER, "partner_id": token.partner_id},
            # The partner's server is not the signer: no address, so the per-network fraud
            # limit does not lump every signer of a partner together. The token's own
            # limit above takes its place.
            request_meta={},
            language=language_tag(str(data.get("language", ""))),
        )
    except PetitionClosed:
        return api_error(409, "This petition is closed and no longer takes signatures.")
    # The same answer for a new signature and a repeat: nothing here tells whether the
    # address had signed (the worker emails its owner, as for the form).
    response = JsonResponse(
        {"status": "accepted", "detail": "If the address is new, a confirmation email is sent."},
        status=202,
    )
    add_never_cache_headers(response)
    return response


def _sign_data(request) -> tuple[QueryDict, dict]:
    """The JSON body as the sign form's fields, or per-field errors for what cannot be one."""
    if request.content_type != "application/json":
        return QueryDict(), {
            "__all__": ["Send the body as JSON (Content-Type: application/json)."]
        }
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return QueryDict(), {"__all__": ["The body is not valid JSON in UTF-8."]}
    if not isinstance(body, dict):
        return QueryDict(), {"__all__": ["The body must be a JSON object."]}
    errors = {}
    data = QueryDict(mutable=True)
    for name, value in body.items():
        if name in SIGN_FIELDS or name in SIGN_OTHER:
            if not isinstance(value, str):
                errors[name] = ["Must be a string."]
            else:
                data[name] = value
        elif name in SIGN_FLAGS:
            if not isinstance(value, bool):
                errors[name] = ["Must be true or false."]
            elif value:
                data[name] = "on"
        else:
            errors[str(name)[:50]] = ["Unknown field."]
    if data.get("opt_in") and data.get("opt_in_wording_version") != OPT_IN_WORDING_VERSION:
        errors["opt_in"] = [
            "opt_in needs opt_in_wording_version "
            f"“{OPT_IN_WORDING_VERSION}”: the signer must have seen that wording."
        ]
    return data, errors


def _form_errors(form) -> dict:
    return {field: [str(m) for m in messages] for field, messages in form.errors.items()}
