"""The project's middleware and error handlers (the page cache is in chorus.pagecache)."""

import logging
import time
from dataclasses import asdict

from csp.constants import HEADER
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.http.request import UnreadablePostError
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger("chorus.db")


def service_unavailable() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "10"
    response["Cache-Control"] = "no-store"
    return response


def request_refused(status: int = 400) -> HttpResponse:
    """The designed page for a body Chorus will not read (400), or not read whole (413).

    Rendered without the request, which might otherwise be read again.
    """
    html = render_to_string("400.html", {"too_large": status == 413})
    response = HttpResponse(html, status=status)
    response["Cache-Control"] = "no-store"
    return response


def json_refused(status: int) -> HttpResponse:
    """request_refused for the API (/api/): the same refusal, as JSON."""
    message = {
        400: "The request body could not be read: send UTF-8 JSON.",
        413: "The request body is too large.",
    }.get(status, "The request was refused.")
    response = JsonResponse({"error": message}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None) -> HttpResponse:
    """handler400. Django's own runs the CSRF check first, which reads the body again:
    a body that failed to parse then failed a second time, and became an empty 500."""
    return request_refused(400)


def server_error(request) -> HttpResponse:
    """handler500, without the CSRF check of Django's own (see bad_request)."""
    return HttpResponseServerError(render_to_string("500.html"))


FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"
MULTIPART_CONTENT_TYPE = "multipart/form-data"
_BODY_ERRORS = (
    BadRequest,
    SuspiciousOperation,  # too many fields or files, a malformed multipart part
    MultiPartParserError,
    UnreadablePostError,  # the client went away mid-body
)


class RequestBodyGuardMiddleware:
    """Refuse a request body Django cannot read cleanly, before anything reads it.

    Left to Django, a form declaring another charset than UTF-8 raised an error in
    the CSRF check, and again in the error page (which runs that check too): an
    empty 500 and two tracebacks for every such POST. Here, ahead of the CSRF
    check and the views:
    * a body longer than the path allows is refused from its Content-Length, unread
      (413): public forms (sign, resend, confirm) need a few kilobytes, and the
      staff area, which uploads images, STAFF_BODY_MAX_BYTES;
    * a declared charset other than UTF-8 is refused (browsers send UTF-8 forms
      without naming a charset);
    * public paths take only URL-encoded forms, as their pages post them: no
      multipart, so no file parts (a public endpoint for anything else, a webhook
      say, needs its own rule here). The one exception: a mailing's one-click
      unsubscribe (RFC 8058 says mail providers SHOULD post it as multipart/form-data)
      takes multipart form fields too, still with no file part; and the partner API
      (/api/) takes JSON, within the same size;
    * a POST body is parsed here, once, and a parse error becomes the designed 400
      page instead of a traceback. The CSRF check and the view then reuse the
      parsed form, so a signature pays for no second parse.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # The workspace and the operators' admin take bigger bodies (uploads, imports).
        self.staff_prefixes = (reverse("staff:home"), reverse("admin:index"))
        self.public_max_bytes = settings.PUBLIC_BODY_MAX_BYTES
        self.staff_max_bytes = settings.STAFF_BODY_MAX_BYTES
        # A mailing's one-click unsubscribe (/m/u/...), which mail providers may post as
        # multipart/form-data (RFC 8058).
        self.one_click_prefixes = (reverse("mailings:unsubscribe_preview"),)
        # An ESP's webhooks (django-anymail, when MAILING_ANYMAIL_WEBHOOKS is on) post JSON.
        self.webhook_prefixes = ("/anymail/",) if settings.MAILING_ANYMAIL_WEBHOOKS else ()
        # The partner API (api.views.petition_sign) takes a small JSON body, as a form's size.
        self.api_prefix = "/api/"

    def __call__(self, request):
        if request.method == "GET" or request.method == "HEAD":
            return self.get_response(request)
        refusal = self._refusal(request)
        if refusal is not None and request.path_info.startswith(self.api_prefix):
            return json_refused(refusal.status_code)  # the API answers in JSON throughout
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def _refusal(self, request) -> HttpResponse | None:
        length = _content_length(request.META.get("CONTENT_LENGTH"))
        if length is None:
            return request_refused(400)
        staff = request.path_info.startswith(self.staff_prefixes)
        if self.webhook_prefixes and request.path_info.startswith(self.webhook_prefixes):
            staff = True  # the staff area's limit, and any content type
        if length > (self.staff_max_bytes if staff else self.public_max_bytes):
            return request_refused(413)
        charset = request.content_params.get("charset") if request.content_params else None
        if charset is not None and charset.lower() != "utf-8":
            return request_refused(400)
        one_click = (
            not staff
            and request.content_type == MULTIPART_CONTENT_TYPE
            and request.path_info.startswith(self.one_click_prefixes)
        )
        partner_json = (
            request.path_info.startswith(self.api_prefix)
            and request.content_type == JSON_CONTENT_TYPE
        )
        if (
            length
            and not staff
            and not one_click
            and not partner_json
            and request.content_type != FORM_CONTENT_TYPE
        ):
            return request_refused(400)
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 - parses the body, once, for everything after
            except RequestDataTooBig:
                return request_refused(413)
            except _BODY_ERRORS:
                return request_refused(400)
            if one_click and request.FILES:
                return request_refused(400)
        return None


def _content_length(header: str | None) -> int | None:
    """The declared body length; None when the header is not a length at all."""
    if not header:
        return 0
    try:
        length = int(header)
    except ValueError:
        return None
    return length if length >= 0 else None


class DatabaseUnavailableMiddleware:
    """When the database is unreachable, say "please try again" with a 503.

    Never a 500, and never a success page for something that was not stored.
    Once a request has found the database gone, the process answers 503 at once
    for the next BREAKER_SECONDS instead of letting every request wait out the
    connection timeouts: during an outage under load, waiting requests would
    fill every thread and nobody would get an answer at all. Pages kept by
    the page cache (chorus.pagecache, first in MIDDLEWARE) go on being served.
    """

    BREAKER_SECONDS = 1.0
    _unavailable_until = 0.0

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if time.monotonic() < DatabaseUnavailableMiddleware._unavailable_until:
            return service_unavailable()
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_unavailable(exception):
            return None
        logger.warning("database unavailable: %s", exception)
        if "locked" not in str(exception):  # SQLite's busy writers are not an outage
            DatabaseUnavailableMiddleware._unavailable_until = (
                time.monotonic() + self.BREAKER_SECONDS
            )
        return service_unavailable()


def _is_unavailable(exception) -> bool:
    if isinstance(exception, (OperationalError, InterfaceError)) or _is_pool_timeout(exception):
        return True
    return isinstance(exception, DatabaseError) and "connection" in str(exception).lower()


def _is_pool_timeout(exception) -> bool:
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg is a locked dependency
        return False
    return isinstance(exception, PoolTimeout)


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp with the policy header built once rather than for every response.

    Chorus sets one policy for the whole site (settings.CONTENT_SECURITY_POLICY)
    and uses no nonces; a response that asks for a change through django-csp's
    decorators still goes the library's own way.
    """

    _header = None

    def process_response(self, request, response):
        if any(
            hasattr(response, a)
            for a in ("_csp_update", "_csp_replace", "_csp_config", "_csp_exempt")
        ):
            return super().process_response(request, response)
        if HEADER not in response:
            if CSPMiddleware._header is None:
                parts = self.get_policy_parts(request=request, response=response)
                CSPMiddleware._header = build_policy(**asdict(parts))
            response[HEADER] = CSPMiddleware._header
        return response


class SecurityHeadersMiddleware:
    """The headers Django has no setting for, on every response, static files included.

    * Permissions-Policy: the pages use no camera, microphone, location, payment or
      other powerful feature, so none is allowed, to this site or anything it frames.
    * Strict-Transport-Security whenever BASE_URL is https. Django's SecurityMiddleware
      adds it only to requests it sees as secure, which behind a TLS proxy depends on
      X-Forwarded-Proto; browsers ignore the header over plain HTTP anyway.
    Both are built once; a response that sets its own keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.headers = {"Permissions-Policy": settings.PERMISSIONS_POLICY}
        if settings.BASE_URL.startswith("https://") and settings.SECURE_HSTS_SECONDS:
            hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                hsts += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                hsts += "; preload"
            self.headers["Strict-Transport-Security"] = hsts

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        return response
