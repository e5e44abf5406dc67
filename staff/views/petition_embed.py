"""One petition's Embed tab: the snippet a partner pastes to carry the widget (docs/widget.md)."""

from html import escape

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from lib.mail import absolute_url
from partners.models import Partner
from petitions.embed import PARTNER_PARAMETER
from petitions.models import Petition
from staff.access import staff_view
from staff.views.petition_tabs import petition_for, tab_context

# The frame's height when the resize script cannot run (JavaScript off, or not pasted):
# enough for the whole form on a phone, which then scrolls inside the frame.
FALLBACK_HEIGHT = 900


@staff_view("petitions.view_petition")
@require_safe
def petition_embed(request, pk: int):
    petition = petition_for(pk)
    partners = list(
        Partner.objects.filter(organisation=petition.organisation, active=True).only(
            "name", "slug"
        )
    )
    asked = request.GET.get(PARTNER_PARAMETER, "")
    partner = next((p for p in partners if p.slug == asked), None)
    context = tab_context(
        petition,
        "embed",
        partners=partners,
        partner=partner,
        unknown_partner=bool(asked) and partner is None,
        public=petition.status != Petition.Status.DRAFT,
        widget_url=embed_url(petition, partner),
        snippet=embed_snippet(petition, partner),
        fallback_height=FALLBACK_HEIGHT,
    )
    return render(request, "staff/petition_tabs/embed.html", context)


def embed_url(petition: Petition, partner: Partner | None) -> str:
    url = absolute_url(reverse("petitions:embed", args=[petition.slug]))
    return f"{url}?{PARTNER_PARAMETER}={partner.slug}" if partner else url


def embed_script_url() -> str:
    """The resize script at its plain name, not its hashed one: a pasted snippet lives
    for years, through many deploys, and must go on finding it."""
    return absolute_url(settings.STATIC_URL + "chorus/embed.js")


def embed_snippet(petition: Petition, partner: Partner | None) -> str:
    """What the partner pastes, as text: the template escapes it once, for the textarea."""
    title = _("Petition: %(title)s") % {"title": petition.title}
    return (
        f'<iframe src="{escape(embed_url(petition, partner))}" title="{escape(title)}" '
        f'data-chorus-embed width="100%" height="{FALLBACK_HEIGHT}" loading="lazy" '
        'style="display:block;width:100%;max-width:40rem;border:0"></iframe>\n'
        f'<script src="{escape(embed_script_url())}" async></script>'
    )
