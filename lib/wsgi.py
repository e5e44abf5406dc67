"""Kept pages answered at the WSGI door, before Django builds a request.

SharedCacheMiddleware keeps the responses every visitor shares (the petition page,
the count) and answers repeats from memory; but by then Django has parsed the
request, sent its signals and run the middleware above, and then copies the kept
headers one by one into a new response: for a page served from memory, most of
the time. `KeptResponses` wraps the WSGI application and answers a GET or HEAD for
a kept, unexpired response itself:

* only for a Host (and X-Forwarded-Host) Django has already accepted, so
  ALLOWED_HOSTS holds;
* keyed as the middleware keys it: the path (never the query string) and the
  language, which without per-request language selection is the site's;
* with the same answers: the body, the headers as they left Django, 304 for a
  matching If-None-Match, no body for HEAD.

Everything else, an expired entry included, goes to Django, where the middleware
re-renders it once while the others are served the old copy.
"""

from django.utils import translation

from lib.middleware import accepted_hosts, kept_responses


class KeptResponses:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "GET" or method == "HEAD":
            kept = self._kept(environ)
            if kept is not None:
                return self._answer(kept, method, environ, start_response)
        return self.application(environ, start_response)

    @staticmethod
    def _kept(environ):
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if not path.isascii():  # Django decodes other paths its own way: leave them to it
            return None
        hosts = (environ.get("HTTP_HOST", ""), environ.get("HTTP_X_FORWARDED_HOST", ""))
        if hosts not in accepted_hosts:
            return None
        return kept_responses.get_fresh((path, translation.get_language()))

    @staticmethod
    def _answer(kept, method, environ, start_response):
        etag = next((value for name, value in kept.headers if name == "ETag"), None)
        if etag and etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            headers = [(n, v) for n, v in kept.headers if n.lower() != "content-length"]
            start_response("304 Not Modified", headers)
            return [b""]
        headers = list(kept.headers)
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(len(kept.content))))
        start_response("200 OK", headers)  # only 200s are kept
        return [b"" if method == "HEAD" else kept.content]
