"""Every text a person submits is checked for what it means, on every form that stores it.

The public forms are found, not listed: a form added to petitions or members later is
checked here the day it exists (and fails until it gets valid sample data below).
"""

import contextlib
import importlib
import re

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import translation

from lib.forms import MultiLineField
from petitions.forms import (
    UNDELIVERABLE_MESSAGE,
    HoneypotField,
    PetitionForm,
    ResendForm,
    SignatureForm,
)
from petitions.models import Signature
from tests.conftest import sign_data

pytestmark = pytest.mark.django_db

PUBLIC_APPS = ["petitions", "members"]

# One of each class of character that hides, reorders or breaks a line of text.
HOSTILE = {
    "crlf": "\r\n",
    "lf": "\n",
    "cr": "\r",
    "line_separator": "\u2028",
    "paragraph_separator": "\u2029",
    "next_line": "\x85",
    "nul": "\x00",
    "escape": "\x1b",
    "delete": "\x7f",
    "rtl_override": "\u202e",
    "ltr_embedding": "\u202a",
    "rtl_isolate": "\u2067",
    "rtl_mark": "\u200f",
    "zero_width_space": "\u200b",
    "zero_width_joiner": "\u200d",
    "byte_order_mark": "\ufeff",
    "soft_hyphen": "\u00ad",
    "tag": "\U000e0041",
    "private_use": "\ue000",
    "unassigned": "\u0378",
}
LINE_BREAKS_A_COMMENT_MAY_HOLD = {"crlf", "lf", "cr"}

VALID_DATA = {
    SignatureForm: sign_data(comment="Because it matters."),
    ResendForm: {"email": "grace@example.org"},
}


def _public_forms() -> set[type]:
    for app in PUBLIC_APPS:
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(f"{app}.forms")
    found, stack = set(), [forms.BaseForm]
    while stack:
        for subclass in stack.pop().__subclasses__():
            stack.append(subclass)
            is_model_form = issubclass(subclass, forms.BaseModelForm)
            if subclass.__module__.split(".")[0] in PUBLIC_APPS and not is_model_form:
                found.add(subclass)
    return found


def _text_fields(form_class):
    for name, field in form_class.base_fields.items():
        # The honeypot never refuses (a bot must not tell the trap from the form) and is
        # never stored: filling it in only makes the form a bot's.
        if isinstance(field, forms.CharField) and not isinstance(field, HoneypotField):
            yield name, field


def _cases():
    for form_class in sorted(VALID_DATA, key=lambda c: c.__name__):
        for name, field in _text_fields(form_class):
            for kind, char in HOSTILE.items():
                if isinstance(field, MultiLineField) and kind in LINE_BREAKS_A_COMMENT_MAY_HOLD:
                    continue
                yield pytest.param(
                    form_class, name, char, id=f"{form_class.__name__}.{name}-{kind}"
                )


def _with(char: str, value: str) -> str:
    """The character inside an otherwise valid value, where it would do harm."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local}{char}x@{domain}"
    return value[:1] + char + value[1:] if value else "A" + char + "b"


def test_every_public_form_has_valid_sample_data_here():
    assert _public_forms() == set(VALID_DATA)


@pytest.mark.parametrize(("form_class", "name", "char"), list(_cases()))
def test_every_public_text_field_refuses_or_drops_each_hostile_character(form_class, name, char):
    data = dict(VALID_DATA[form_class])
    data[name] = _with(char, data.get(name, ""))

    form = form_class(data)

    if form.is_valid():
        # Only a field that drops what it does not know may let the form through.
        assert char not in form.cleaned_data[name]
    else:
        assert name in form.errors, form.errors
        assert list(form.errors) == [name]


@pytest.mark.parametrize("form_class", sorted(VALID_DATA, key=lambda c: c.__name__))
def test_the_sample_data_is_valid_so_each_refusal_above_is_the_characters_doing(form_class):
    assert form_class(VALID_DATA[form_class]).is_valid()


def test_a_comment_keeps_its_paragraphs():
    form = SignatureForm(sign_data(comment="First.\r\n\r\nSecond."))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["comment"] == "First.\n\nSecond."


# Through the real sign view: what the issue saw stored and shown.


def _sign(client, petition, **overrides):
    return client.post(reverse("petitions:sign", args=[petition.slug]), sign_data(**overrides))


def _field_error(response, field: str) -> str:
    html = response.content.decode()
    match = re.search(rf'<(\w+)[^>]*\bid="id_{field}_error"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no error shown beside {field}"
    return re.sub(r"<[^>]+>", "", match.group(2))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "Ada\r\nBcc: victim@example.org", "keep it on one line"),
        ("last_name", "Lovelace\nX-Header: 1", "keep it on one line"),
        ("postcode", "N1\r\n0AA", "keep it on one line"),
        ("first_name", "\u202eecalevoL", "invisible or control characters"),
        ("last_name", "Love\u200blace", "invisible or control characters"),
        ("comment", "Fine \u202ereversed", "invisible or control characters"),
        ("first_name", "\u0301", "at least one letter or number"),
    ],
)
def test_the_sign_form_refuses_hostile_text_beside_the_field_and_stores_nothing(
    public_client, petition, field, value, message
):
    response = _sign(public_client, petition, **{field: value})

    assert response.status_code == 400
    assert message in _field_error(response, field)
    assert not Signature.objects.exists()


def test_a_name_typed_decomposed_is_stored_composed(public_client, petition):
    _sign(public_client, petition, first_name="Zoe\u0308")

    assert Signature.objects.get().first_name == "Zoë"


@pytest.mark.parametrize(
    ("page", "header", "stored"),
    [
        ("en", "en-GB,en;q=0.9", "en-GB"),
        ("en", "fr-ch;q=0.8, de", "en"),  # signed on the English page: written to in English
        ("de", "fr-CH, de-AT;q=0.8", "de"),
        ("de", "de-AT, en;q=0.5", "de-AT"),
        ("fr", "<script>alert(1)</script>", "fr"),
        ("en", "<script>alert(1)</script>", "en"),
        ("en", "en\u202e", "en"),
        ("es", "x" * 5000, "es"),
        ("de", "de-DE-x-" + "y" * 100, "de"),
        ("en", "", "en"),
    ],
)
def test_the_stored_language_is_the_pages_with_the_browsers_region(petition, page, header, stored):
    """The page's language (its URL's), with the browser's region only when the browser
    prefers that same language; never anything but a clean tag."""
    with translation.override(page):
        url = reverse("petitions:sign", args=[petition.slug])
    Client(HTTP_ACCEPT_LANGUAGE=header).post(url, sign_data())

    assert Signature.objects.get().language == stored


def test_an_address_the_mailer_cannot_deliver_is_refused_with_a_clear_message(
    public_client, petition
):
    response = _sign(public_client, petition, email="zoë@example.org")

    assert response.status_code == 400
    assert UNDELIVERABLE_MESSAGE in _field_error(response, "email")
    assert not Signature.objects.exists()


def test_the_same_address_is_welcome_when_the_mail_server_speaks_smtputf8(
    public_client, petition, settings
):
    settings.EMAIL_SMTPUTF8 = True

    response = _sign(public_client, petition, email="zoë@example.org")

    assert response.status_code == 302
    assert Signature.objects.get().email == "zoë@example.org"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ada@exämple.org", "ada@exämple.org"),
        ("ada@xn--exmple-cua.org", "ada@exämple.org"),
        ('"ada lovelace"@example.org', '"ada lovelace"@example.org'),
        ('"ada"@example.org', "ada@example.org"),
        ("  ada@example.org  ", "ada@example.org"),
        ("ada+petitions@example.org", "ada+petitions@example.org"),
    ],
)
def test_exotic_but_deliverable_addresses_are_welcome(public_client, petition, typed, stored):
    response = _sign(public_client, petition, email=typed)

    assert response.status_code == 302
    assert Signature.objects.get().email == stored


def test_the_resend_form_refuses_an_undeliverable_address_with_the_same_message(
    public_client, petition
):
    response = public_client.post(
        reverse("petitions:resend", args=[petition.slug]), {"email": "zoë@example.org"}
    )

    assert response.status_code == 400
    assert UNDELIVERABLE_MESSAGE in response.content.decode()


@pytest.mark.parametrize("language", ["english", "en_GB", "<b>", "en;q=1", "sl-rozaj", "*"])
def test_a_petition_language_must_be_a_well_formed_tag(language):
    form = PetitionForm(data={"language": language})

    assert not form.is_valid()
    assert "language" in form.errors


def test_a_petition_language_is_stored_in_its_usual_case():
    form = PetitionForm(data={"language": "pt-br"})
    form.is_valid()

    assert "language" not in form.errors
    assert form.cleaned_data["language"] == "pt-BR"
