"""A mailing as the member reads it: Markdown with merge fields, in HTML and text.

The Markdown, the HTML frame and the link rewriting run once per mailing (and subject
variant): `mailing_compile` turns them into a list of literal pieces and merge fields,
and `Compiled.personalise` only joins that list for each member. Rendering Markdown per
member was the send loop's largest cost.

Merge fields, in the body and the subject:

    {{first_name}}            the member's first name
    {{first_name|friend}}     ... or "friend" when it is empty
    {{petition_link}}         the mailing's petition, recognising the member
    {{unsubscribe_link}}      one click to stop these emails

Every http(s) link in the body becomes a signed click link (mailings.tokens) naming
its index in `Mailing.links`, so a click can only ever lead where the mailing pointed.
"""

import functools
import html as html_lib
import re
from dataclasses import dataclass, field

import markdown
import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from lib.mail import absolute_url
from mailings import tokens

FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*(?:\|([^{}|]{0,60}))?\}\}")
FIELDS = {"first_name", "petition_link", "unsubscribe_link"}
LINK_FIELDS = {"petition_link", "unsubscribe_link"}
BODY_TAGS = {"p", "a", "em", "strong", "ul", "ol", "li", "blockquote", "h2", "h3", "br", "hr"}
# A sentinel Markdown passes through untouched and no writer would type.
_SENTINEL = "zqmerge{}zq"
_SENTINEL_RE = re.compile(r"zqmerge(\d+)zq")
_HREF = re.compile(r'href="([^"]*)"')
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")


def merge_field_errors(text: str) -> list[str]:
    """What is wrong with the merge fields in `text`, in words a campaigner can act on."""
    errors = []
    for match in FIELD.finditer(text):
        name, fallback = match.group(1), match.group(2)
        if name not in FIELDS:
            errors.append(f"{{{{{name}}}}} is not a merge field. Use one of: {_field_list()}.")
        elif fallback is not None and name != "first_name":
            errors.append(f"Only {{{{first_name}}}} takes a fallback; {{{{{name}}}}} has one.")
    leftover = FIELD.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        errors.append("Braces that are not a merge field: write merge fields as {{first_name}}.")
    return errors


def _field_list() -> str:
    return ", ".join(f"{{{{{name}}}}}" for name in sorted(FIELDS))


@dataclass
class Rendered:
    subject: str
    preheader: str
    text: str
    html: str


@dataclass
class Member:
    """What personalising needs of a member (a Member row has all of it)."""

    first_name: str


@dataclass
class Compiled:
    """A mailing's parts, ready to join for each member.

    Each template is a list whose items are literal strings or ("field", fallback, html)
    tuples; `links` are the tracked URLs, in index order.
    """

    subject: list
    preheader: str
    text: list
    html: list
    links: list[str] = field(default_factory=list)
    petition_url: str = ""

    def personalise(self, member, recipient_id: int | None) -> Rendered:
        values = _values(self, member, recipient_id)
        return Rendered(
            subject=_join(self.subject, values, escape=False),
            preheader=self.preheader,
            text=_join(self.text, values, escape=False),
            html=_join(self.html, values, escape=True),
        )


_PLACEHOLDER = "zqTOKENzq"


@functools.lru_cache(maxsize=256)
def _url_pattern(base_url: str, name: str, *args) -> str:
    return absolute_url(reverse(name, args=[_PLACEHOLDER, *args]))


def token_url(name: str, token: str, *args) -> str:
    """absolute_url(reverse(name, args=[token, *args])), reversed once per process.

    Reversing each link of each message was half the cost of personalising one.
    """
    return _url_pattern(settings.BASE_URL, name, *args).replace(_PLACEHOLDER, token, 1)


def _values(compiled: Compiled, member, recipient_id: int | None) -> dict:
    if recipient_id is None:  # a preview or a test: links that lead somewhere but count nothing
        click = "preview"
        unsubscribe_url = absolute_url(reverse("mailings:unsubscribe_preview"))
    else:
        click = tokens.recipient_token(recipient_id, tokens.CLICK)
        unsubscribe_url = token_url(
            "mailings:unsubscribe", tokens.recipient_token(recipient_id, tokens.UNSUBSCRIBE)
        )
    return {
        "first_name": (member.first_name or "").strip(),
        "unsubscribe_link": unsubscribe_url,
        "click": click,
        "links": compiled.links,
    }


def _join(parts: list, values: dict, *, escape: bool) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        kind, arg = part
        if kind == "first_name":
            value = values["first_name"] or arg
        elif kind == "unsubscribe_link":
            value = values["unsubscribe_link"]
        elif kind == "link":  # a tracked link: arg is its index
            if values["click"] == "preview":
                value = values["links"][arg]
            else:
                value = token_url("mailings:click", values["click"], arg)
        else:
            value = ""
        out.append(html_lib.escape(value) if escape else value)
    return "".join(out)


def mailing_language(language: str | None) -> str:
    """One of LANGUAGES for a member's language tag ("fr-CA" is French), else the default."""
    try:
        return translation.get_supported_language_variant(language or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def mailing_compile(
    mailing, *, subject: str | None = None, language: str | None = None
) -> Compiled:
    """Compile `mailing` (with `subject` in place of its own, for a variant), its frame
    in `language` (a member's; the default language when None)."""
    with translation.override(mailing_language(language)):
        return _compile(mailing, subject)


def _compile(mailing, subject: str | None) -> Compiled:
    links: list[str] = []
    petition_url = ""
    if mailing.petition_id:
        petition_url = absolute_url(mailing.petition.get_absolute_url())
        links.append(petition_url)  # index 0: {{petition_link}}, when there is a petition
    body, fields = _protect(mailing.body)
    html_body = nh3.clean(
        markdown.markdown(body, output_format="html"),
        tags=BODY_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
    html_body = _HREF.sub(lambda m: _href(m.group(1), fields, links, petition_url), html_body)
    text_body = _MD_LINK.sub(
        lambda m: f"{m.group(1)} ({_text_href(m.group(2), fields, links, petition_url)})", body
    )
    organisation = mailing.organisation
    context = {
        "mailing": mailing,
        "organisation": organisation,
        "preheader": mailing.preheader,
        "body_html": "BODYzqzq",
        "body_text": "BODYzqzq",
        "unsubscribe": _SENTINEL.format(len(fields)),
        "why": settings.MAILING_WHY.format(organisation=organisation.name),
        # Opens, counted per mailing only, when switched on (mailings.tracking).
        "open_pixel": _open_pixel(mailing),
    }
    fields.append(("unsubscribe_link", None))
    frame = "mailing"
    if getattr(mailing, "audience", "segment") == "signers":  # an update or outcome email
        frame = "update"
        context["petition"] = mailing.petition
        context["petition_href"] = "zqlink0zq" if petition_url else ""
    frame_html = render_to_string(f"mailings/email/{frame}.html", context)
    frame_text = render_to_string(f"mailings/email/{frame}.txt", context)
    html_all = frame_html.replace("BODYzqzq", html_body)
    text_all = frame_text.replace("BODYzqzq", text_body)
    subject_text, subject_fields = _protect(subject if subject is not None else mailing.subject)
    return Compiled(
        subject=_split(subject_text, subject_fields, links, petition_url),
        preheader=mailing.preheader,
        text=_split(text_all, fields, links, petition_url),
        html=_split(html_all, fields, links, petition_url),
        links=links,
        petition_url=petition_url,
    )


def _open_pixel(mailing) -> str:
    if not settings.MAILING_OPEN_TRACKING or not mailing.pk:
        return ""
    from mailings.tracking import open_pixel_url

    return open_pixel_url(mailing.pk)


def _protect(text: str) -> tuple[str, list]:
    """Swap each merge field for a sentinel Markdown leaves alone; the fields, in order."""
    fields: list = []

    def swap(match):
        fields.append((match.group(1), (match.group(2) or "").strip()))
        return _SENTINEL.format(len(fields) - 1)

    return FIELD.sub(swap, text), fields


def _link_index(url: str, links: list[str]) -> int:
    if url not in links:
        links.append(url)
    return links.index(url)


def _href(url: str, fields: list, links: list, petition_url: str) -> str:
    return f'href="{_text_href(html_lib.unescape(url), fields, links, petition_url)}"'


def _text_href(url: str, fields: list, links: list, petition_url: str) -> str:
    """A link's target as a sentinel the split turns into a tracked link or a field."""
    whole = _SENTINEL_RE.fullmatch(url)
    if whole:
        name, _ = fields[int(whole.group(1))]
        if name == "petition_link" and petition_url:
            return f"zqlink{0}zq"
        return url  # {{unsubscribe_link}} stays a field; others are refused by the form
    if url.startswith(("http://", "https://")):
        return f"zqlink{_link_index(url, links)}zq"
    return url


_SPLIT = re.compile(r"zqmerge(\d+)zq|zqlink(\d+)zq")


def _split(text: str, fields: list, links: list, petition_url: str) -> list:
    parts: list = []
    position = 0
    for match in _SPLIT.finditer(text):
        parts.append(text[position : match.start()])
        if match.group(1) is not None:
            name, fallback = fields[int(match.group(1))]
            if name == "petition_link":
                parts.append(("link", 0) if petition_url else "")
            else:
                parts.append((name, fallback))
        else:
            parts.append(("link", int(match.group(2))))
        position = match.end()
    parts.append(text[position:])
    return [p for p in parts if p != ""]
