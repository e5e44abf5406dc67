"""What staff type never runs in a visitor's browser, on any public page.

Two classes of field reach the public pages: Markdown fields (every model
TextField whose help text says Markdown), rendered to HTML and sanitised; and
every other text field, escaped. A staff account taken over, or a careless
paste, must not be able to put script, event handlers, dangerous links, frames,
forms or third-party images in front of signers.
"""

from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from mailings.models import Mailing
from mailings.render import mailing_compile
from orgs.models import Organisation
from petitions.models import Petition, PetitionTranslation, Signature, Source, Update
from petitions.services import signature_confirmation_token, signature_create
from tests.conftest import BASE_URL, REQUEST_META, sign_data
from tests.factories import PetitionFactory, RecipientFactory

pytestmark = pytest.mark.django_db

HOSTILE_MARKDOWN = {
    "script tag": "<script>alert(1)</script>",
    "script tag split around another": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "image with onerror": '<img src=x onerror="alert(1)">',
    "markdown image breaking out of src": '![x](https://a.example/x.png" onerror="alert(1))',
    "markdown image from a tracker": "![x](https://tracker.example/pixel.png)",
    "javascript link": "[x](javascript:alert(1))",
    "javascript link in mixed case": "[x](JaVaScRiPt:alert(1))",
    "javascript link entity-encoded": "[x](&#106;avascript:alert(1))",
    "javascript link with a tab inside": "[x](java\tscript:alert(1))",
    "raw html javascript link with a tab inside": '<a href="java\tscript:alert(1)">x</a>',
    "raw html javascript link with a line break inside": '<a href="java\nscript:alert(1)">x</a>',
    "raw html javascript link with a leading control": '<a href="\x01javascript:alert(1)">x</a>',
    "javascript reference link": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "javascript autolink": "<javascript:alert(1)>",
    "raw html javascript link": '<a href="javascript:alert(1)">x</a>',
    "raw html entity-encoded javascript link": '<a href="&#x6A;avascript:alert(1)">x</a>',
    "data url link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript link": "[x](vbscript:msgbox(1))",
    "link title breaking out": '[x](https://a.example "t\\" onmouseover=\\"alert(1))',
    "raw html event handler on a kept tag": '<a href="https://a.example" onclick="alert(1)">x</a>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "svg onload": "<svg onload=alert(1)>",
    "math with xlink": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "style element": "<style>body{display:none}</style>",
    "style attribute": '<p style="position:fixed;inset:0">covered</p>',
    "form": '<form action="https://evil.example"><button>Sign here</button></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "base href": '<base href="https://evil.example/">',
    "object": '<object data="https://evil.example/x.swf"></object>',
    "comment trick": "<!--><script>alert(1)</script>-->",
    "markdown inside raw html": '<div markdown="1">[x](javascript:alert(1))</div>',
    "noscript mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
}

# Escaped, these are harmless text; rendered as HTML, each would be an attack.
HOSTILE_TEXT = (
    '"><script>alert(1)</script><img src=x onerror=alert(1)>'
    '<a href="javascript:alert(1)">x</a><iframe src="https://evil.example"></iframe>'
)
HOSTILE_URL = 'https://a.example/?q="><script>alert(1)</script>'
HOSTILE_EMAIL = '"\\"><script>alert(1)</script>"@example.org'

# The models whose text reaches the public pages. (Signatures have their own
# test: test_public_fields.py.)
PUBLIC_MODELS = [Organisation, Petition, Source, Update]

SCRIPTING_SCHEMES = {"javascript", "data", "vbscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "background"}
NEVER_ON_A_PUBLIC_PAGE = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "style", "svg", "math",
    "base", "template",
}  # fmt: skip


def markdown_fields() -> list[models.Field]:
    """Every text field rendered as Markdown, by the convention that its help text says so."""
    return [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and "markdown" in str(field.help_text).lower()
    ]


class _Dangers(HTMLParser):
    """Everything on a page that could run script, load a third party or fake a form."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        where = f"<{tag} {attributes}>"
        if tag in NEVER_ON_A_PUBLIC_PAGE:
            self.found.append(f"element {where}")
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.found.append(f"script {where}")
        if tag == "meta" and "http-equiv" in attributes:
            self.found.append(f"meta http-equiv {where}")
        if tag == "img" and not (attributes.get("src") or "").startswith(
            (f"{BASE_URL}/media/", "/static/")
        ):
            self.found.append(f"image from elsewhere {where}")
        if tag == "form" and not (attributes.get("action") or "/").startswith("/"):
            self.found.append(f"form posting elsewhere {where}")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                self.found.append(f"attribute {name} in {where}")
            if name in URL_ATTRIBUTES and _scheme(value or "") in SCRIPTING_SCHEMES:
                self.found.append(f"{_scheme(value)}: URL in {where}")

    handle_startendtag = handle_starttag


def _scheme(url: str) -> str:
    # As browsers read a URL: tabs and line breaks anywhere are dropped, and
    # control characters and spaces around it.
    compact = "".join(c for c in url if c not in "\t\n\r").strip("".join(map(chr, range(33))))
    scheme, colon, _ = compact.lower().partition(":")
    return scheme if colon else ""


def dangers(html: str) -> list[str]:
    parser = _Dangers()
    parser.feed(html)
    parser.close()
    return parser.found


def _petition_page(client, petition) -> str:
    response = client.get(reverse("petitions:detail", args=[petition.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_markdown_fields_are_found_by_their_help_text():
    found = {(f.model, f.name) for f in markdown_fields()}

    assert {(Petition, "story"), (Update, "body")} <= found


def test_the_danger_detector_sees_what_an_unsanitised_page_would_carry():
    # The other tests pass when nothing is found, so show it can find things.
    for payload in ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg>"]:
        assert dangers(payload), payload
    assert dangers('<a href=" java\tscript:alert(1)">x</a>')
    assert not dangers('<a href="java    script:alert(1)">x</a>')  # a relative link
    assert not dangers('<a href="https://a.example">x</a><script src="/static/x.js"></script>')


def _shown_html(client, organisation, field, text) -> str:
    """Where a member of the public reads the field: the petition page, or a mailing (to
    one and the same recipient, so that only the text differs between two renderings)."""
    if field.model is Mailing:
        recipient = RecipientFactory(mailing__organisation=organisation)
        recipient.mailing.body = text
        return mailing_compile(recipient.mailing).personalise(recipient.member, 1).html
    petition = _petition_with_markdown(organisation, field, text)
    if field.model is PetitionTranslation:  # shown on its language's page
        with translation.override("fr"):
            return _petition_page(client, petition)
    return _petition_page(client, petition)


def _petition_with_markdown(organisation, field, text) -> Petition:
    if field.model is Petition:
        return PetitionFactory(organisation=organisation, **{field.name: text})
    petition = PetitionFactory(organisation=organisation)
    owner = {
        Update: {"title": "News", "published_at": timezone.now()},
        PetitionTranslation: {"language": "fr", "title": "T", "target": "C", "summary": "S"},
    }
    assert field.model in owner, f"teach this test how to show a {field.model.__name__}"
    field.model.objects.create(petition=petition, **owner[field.model], **{field.name: text})
    return petition


@pytest.mark.parametrize("field", markdown_fields(), ids=lambda f: f"{f.model.__name__}.{f.name}")
@pytest.mark.parametrize("payload", HOSTILE_MARKDOWN)
def test_every_markdown_field_is_sanitised_where_the_public_reads_it(
    public_client, organisation, field, payload
):
    marker = f"shown-{field.model.__name__}-{field.name}"
    text = f"**{marker}**\n\n{HOSTILE_MARKDOWN[payload]}"
    html = _shown_html(public_client, organisation, field, text)
    # An email's frame is styled inline, as email must be: only what the text adds counts.
    frame = _shown_html(public_client, organisation, field, f"**{marker}**")

    assert f"<strong>{marker}</strong>" in html, "the field is not rendered as Markdown"
    assert [danger for danger in dangers(html) if danger not in dangers(frame)] == []


def _hostile_values(model) -> dict:
    """Every text field of `model` a person types into, filled with an attack."""
    values = {}
    for field in model._meta.concrete_fields:
        if (
            field.primary_key
            or field.choices
            or not isinstance(field, models.CharField | models.TextField)
        ):
            continue
        if isinstance(field, models.SlugField) or field.name == "primary_colour":
            continue  # a slug's and a colour's characters are fixed by their validators
        if isinstance(field, models.URLField):
            values[field.attname] = HOSTILE_URL
        elif isinstance(field, models.EmailField):
            values[field.attname] = HOSTILE_EMAIL
        else:
            values[field.attname] = HOSTILE_TEXT[: field.max_length]
    return values


def _hostile_petition() -> Petition:
    """A petition whose every text field, and its organisation's, sources' and updates'."""
    organisation = Organisation.objects.create(**_hostile_values(Organisation))
    petition = PetitionFactory(organisation=organisation, **_hostile_values(Petition))
    Source.objects.create(petition=petition, **_hostile_values(Source))
    Update.objects.create(
        petition=petition, published_at=timezone.now(), **_hostile_values(Update)
    )
    for instance in [organisation, petition, *petition.sources.all(), *petition.updates.all()]:
        instance.full_clean()  # each value could have been saved through the staff forms
    return petition


def _public_pages(client, petition) -> dict[str, str]:
    slug = petition.slug
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)
    token = signature_confirmation_token(signature=Signature.objects.get(petition=petition))
    responses = {
        "confirm": client.get(reverse("petitions:confirm", args=[token])),
        "petition page": client.get(reverse("petitions:detail", args=[slug])),
        "form with errors": client.post(reverse("petitions:sign", args=[slug]), {}),
        "thanks": client.get(reverse("petitions:thanks", args=[slug])),
        "new link asked": client.post(
            reverse("petitions:resend", args=[slug]), {"email": "grace@example.org"}
        ),
        "confirmed": client.get(reverse("petitions:confirmed", args=[slug])),
        "home": client.get(reverse("home")),
    }
    for name, response in responses.items():
        assert response.status_code in {200, 400}, name
    return {name: response.content.decode() for name, response in responses.items()}


def test_every_public_text_field_is_escaped_on_every_public_page(public_client):
    petition = _hostile_petition()

    pages = _public_pages(public_client, petition)

    assert escape(petition.title) in pages["petition page"]  # shown, as text
    assert {name: dangers(html) for name, html in pages.items()} == {name: [] for name in pages}
