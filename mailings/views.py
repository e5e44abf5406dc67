"""Public views of mailings. Placeholders until the inbound work lands: each answers 404."""

from django.http import Http404


def unsubscribe(request, token):
    raise Http404


def unsubscribe_preview(request):
    raise Http404


def click(request, token, link):
    raise Http404
