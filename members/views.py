"""The public side of members: the page behind a confirmed opt-in link."""

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from members.optin import member_optin_confirm, optin_link_for_token, optin_wording


@never_cache
@require_http_methods(["GET", "POST"])
def optin(request, token):
    """GET shows one button; only the POST subscribes, because mail scanners follow links.

    An unknown, expired, tampered or spent link gets the same page, whichever it was.
    """
    if request.method == "POST":
        if member_optin_confirm(token=token):
            return redirect("members:optin", token=token)
    else:
        link = optin_link_for_token(token)
        if link is not None:
            organisation = link.member.organisation
            template = "members/optin.html" if link.used_at is None else "members/optin_done.html"
            context = {"organisation": organisation, "wording": optin_wording(organisation)}
            return render(request, template, context)
    return render(request, "members/optin_invalid.html", status=410)
