"""Building the public petition page, which is the same HTML for every visitor."""

import copy
import re
from urllib.parse import quote, urlencode

import markdown
import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from lib.i18n import language_versions, same_language
from lib.localcache import LocalCache
from lib.mail import absolute_url
from members.consent import OPT_IN_WORDING, wording_in
from petitions.counting import petition_count
from petitions.forms import SignatureForm
from petitions.models import TRANSLATED_FIELDS, Channel, Petition, PetitionTranslation, Signature

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")
STORY_TAGS = {"p", "a", "em", "strong", "ul", "ol", "li", "blockquote", "h2", "h3", "br"}
RECENT_SIGNERS = 8
PUBLIC_REASONS = 5


def render_markdown(text: str) -> str:
    html = markdown.markdown(text, extensions=[], output_format="html")
    clean = nh3.clean(
        html,
        tags=STORY_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # nh3 has just removed every tag and attribute outside the allowlist.
    return mark_safe(clean)  # noqa: S308


def public_signers(petition: Petition):
    """The only signers the public can ever read: the newest PUBLIC_SIGNERS_CAP confirmed
    signers who chose to be shown (the signature_public_list index, read to the cap).

    Every list of names or reasons on a public page is drawn from these rows, so paging
    through them all, on every page, yields at most the cap: a scraper cannot walk every
    signer of a petition however it pages.
    """
    return (
        Signature.objects.filter(
            petition=petition, state=Signature.State.CONFIRMED, show_name=True
        )
        .order_by("-confirmed_at", "-id")
        .values("pk")[: settings.PUBLIC_SIGNERS_CAP]
    )


def _public_name(row: dict) -> str:
    return f"{row['first_name']} {row['last_name'][:1]}."


def recent_public_signers(petition: Petition) -> list[dict]:
    rows = (
        Signature.objects.filter(pk__in=public_signers(petition))
        .order_by("-confirmed_at", "-id")
        .values("first_name", "last_name", "country", "confirmed_at")[:RECENT_SIGNERS]
    )
    return [
        {"name": _public_name(r), "country": r["country"], "at": r["confirmed_at"]} for r in rows
    ]


def public_reasons(petition: Petition) -> list[dict]:
    """The newest reasons signers chose to show, which staff have not hidden.

    Ticking "show my name and reason" is the consent for both. Only reasons of the
    public signers (public_signers: the newest, up to the cap) are shown.
    """
    rows = (
        Signature.objects.filter(pk__in=public_signers(petition), comment_hidden=False)
        .exclude(comment="")
        .order_by("-confirmed_at", "-id")
        .values("first_name", "last_name", "country", "comment")[:PUBLIC_REASONS]
    )
    return [
        {"name": _public_name(r), "country": r["country"], "comment": r["comment"]} for r in rows
    ]


def public_signers_pages(petition: Petition) -> int:
    """How many pages the signers page has (at least one, which may be empty)."""
    shown = Signature.objects.filter(pk__in=public_signers(petition)).count()
    return max(1, -(-shown // settings.PUBLIC_SIGNERS_PAGE))


def public_signers_page(petition: Petition, page: int) -> list[dict]:
    """One page of the public signers, newest first, each with their reason if shown."""
    size = settings.PUBLIC_SIGNERS_PAGE
    rows = (
        Signature.objects.filter(pk__in=public_signers(petition))
        .order_by("-confirmed_at", "-id")
        .values("first_name", "last_name", "country", "comment", "comment_hidden")[
            (page - 1) * size : page * size
        ]
    )
    return [
        {
            "name": _public_name(r),
            "country": r["country"],
            "comment": "" if r["comment_hidden"] else r["comment"],
        }
        for r in rows
    ]


def bar_percent(count: int, goal: int) -> int:
    """The thermometer's fill; CSS gives any count above zero a visible minimum."""
    return max(0, min(100, round(100 * count / goal))) if goal else 0


def published_updates(petition: Petition, page: int = 1) -> list:
    """One page of the updates whose time has come, newest first (the petition page shows
    the first); one scheduled for later appears within the page's cache time after it
    (PETITION_PAGE_CACHE_SECONDS). Only the newest PUBLIC_UPDATES_CAP are ever listed."""
    size = settings.PUBLIC_UPDATES_PAGE
    start, end = (page - 1) * size, min(page * size, settings.PUBLIC_UPDATES_CAP)
    if start >= end:
        return []
    return list(petition.updates.filter(published_at__lte=timezone.now())[start:end])


def published_update_pages(petition: Petition) -> int:
    shown = min(
        petition.updates.filter(published_at__lte=timezone.now()).count(),
        settings.PUBLIC_UPDATES_CAP,
    )
    return max(1, -(-shown // settings.PUBLIC_UPDATES_PAGE))


def petition_in_language(petition: Petition, language: str | None = None) -> Petition:
    """The petition as its page in `language` (the active one) shows it: a copy with the
    translation's ask, target, summary and story when there is one. Its `text_language`
    says which language the text is in (the petition's own when none was written)."""
    language = language or translation.get_language() or petition.language
    shown = copy.copy(petition)
    shown.text_language = petition.language
    if same_language(language, petition.language):
        return shown
    words = (
        PetitionTranslation.objects.filter(petition_id=petition.pk, language=language)
        .values(*TRANSLATED_FIELDS)
        .first()
    )
    if words is not None:
        for name, value in words.items():
            setattr(shown, name, value)
        shown.text_language = language
    return shown


def text_lang(petition: Petition) -> str:
    """A `lang` attribute's value for the petition's text, when it differs from the page's."""
    text_language = getattr(petition, "text_language", petition.language)
    current = translation.get_language() or ""
    return "" if same_language(text_language, current) else text_language


def petition_context(petition: Petition) -> dict:
    petition = petition_in_language(petition)
    count = petition_count(petition)
    # As count.json polls it: the goal a fold would raise to, until a fold does.
    goal = petition.goal_at(count)
    return {
        "petition": petition,
        "story_html": render_markdown(petition.story),
        "sources": list(petition.sources.all()),
        "updates": [(u, render_markdown(u.body)) for u in published_updates(petition)],
        "older_updates": published_update_pages(petition) > 1,
        "count": count,
        "goal": goal,
        "percent": bar_percent(count, goal),
        "recent_signers": recent_public_signers(petition),
        "public_reasons": public_reasons(petition),
        "share_links": share_links(petition),
        "form": SignatureForm(),
        "page_url": absolute_url(petition.get_absolute_url()),
        "image_url": absolute_url(petition.image.url) if petition.image else "",
        "text_lang": text_lang(petition),
        # Updates and sources are never translated: their own language, when not the page's.
        "own_lang": ""
        if same_language(petition.language, translation.get_language() or "")
        else petition.language,
        "opt_in_wording": wording_in(OPT_IN_WORDING, organisation=petition.organisation.name),
    }


# Petitions looked up for signing and the other per-visitor pages, per web process.
# (The rendered page itself is kept by the page cache, chorus.pagecache.)
petition_cache = LocalCache(ttl=settings.PETITION_PAGE_CACHE_SECONDS)


def public_petition(slug: str) -> Petition | None:
    """The public petition at `slug`, from this process's cache when fresh.

    A slug that cannot be one (from a form's body, not the URL's converter: a NUL byte,
    which PostgreSQL refuses in a query, or any other character) is no petition, without
    a query and without a place in the cache.
    """
    if not SLUG.fullmatch(slug):
        return None
    return petition_cache.get_or_set(slug, lambda: _load_public_petition(slug))


def _load_public_petition(slug: str) -> Petition | None:
    return Petition.objects.public().select_related("organisation").filter(slug=slug).first()


def petition_page(slug: str, path: str) -> str | None:
    """The whole petition page, the same for every visitor, so it can be kept whole:
    in the active language, at `path` (which names it: /fr/p/<slug>/)."""
    petition = _load_public_petition(slug)
    if petition is None:
        return None
    context = petition_context(petition)
    context["organisation"] = petition.organisation
    context["language_versions"] = language_versions(path)
    return render_to_string("petitions/detail.html", context)


SHARE_TARGETS = [
    (Channel.FACEBOOK, "Facebook", "https://www.facebook.com/sharer/sharer.php?{}", "u"),
    (Channel.X, "X", "https://x.com/intent/post?{}", "url"),
    (Channel.WHATSAPP, "WhatsApp", "https://wa.me/?{}", "text"),
    (Channel.TELEGRAM, "Telegram", "https://t.me/share/url?{}", "url"),
]


def share_url(petition: Petition, channel: str) -> str:
    return absolute_url(petition.get_absolute_url()) + "?" + urlencode({"ch": channel})


def share_links(petition: Petition) -> list[dict]:
    """Plain links, no third-party script; each carries its channel tag."""
    links = []
    for channel, label, pattern, param in SHARE_TARGETS:
        url = share_url(petition, channel)
        params = {param: f"{petition.title} {url}" if param == "text" else url}
        if channel == Channel.TELEGRAM:
            params["text"] = petition.title
        links.append(
            {
                "channel": channel.value,
                "label": label,
                "href": pattern.format(urlencode(params)),
            }
        )
    mail_url = share_url(petition, Channel.EMAIL)
    links.append(
        {
            "channel": "email",
            "label": _("Email"),
            "href": f"mailto:?subject={quote(petition.title)}&body="
            f"{quote(petition.summary + chr(10) + chr(10) + mail_url)}",
        }
    )
    links.append(
        {
            "channel": "link",
            "label": _("Copy link"),
            "href": share_url(petition, Channel.LINK),
            "copy": True,
        }
    )
    return links
