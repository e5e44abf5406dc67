"""What a stranger can learn about a signer: "First L.", a country and their reason, if they
asked (and staff did not hide the reason), and no more.

Driven by the Signature model's own field list: every stored field is filled
with a value of its own, and a new field the filler does not know fails the
suite until someone decides what it is. Two checks follow from that:
* no stored value (email, full surname, postcode, comment, IP hash and prefix,
  token hash, language, codes, ids, dates...) appears on any public page;
* filled a second time with other values, every public response stays byte
  for byte the same (the shown signer keeps their first name, surname initial
  country and reason in both fillings; those are the only things a page may show).
"""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import models
from django.test import Client
from django.urls import reverse
from django_countries.fields import CountryField

from members.models import Member
from partners.models import Partner
from petitions.models import Signature
from petitions.services import token_hash
from tests.conftest import _local_caches_clear, sign_data

pytestmark = pytest.mark.django_db

SHOWN_FIRST_NAME = "Ottilie"
SHOWN_INITIAL = "Q"
SHOWN_COUNTRY = ("NZ", "New Zealand")
SHOWN_REASON = "Because the harbour is ours too."

# The fields public pages may depend on, with why; every other field is private.
PUBLIC_BY_DESIGN = {
    "petition": "which petition was signed",
    "state": "only confirmed signatures are counted and listed",
    "show_name": "whether the signer asked to be listed",
    "counted": "the count is public",
    "count_dirty": "the count is public",
}

# The signers of the petition: (state, asked to be shown). Only the first may be seen.
SIGNERS = {
    "shown": (Signature.State.CONFIRMED, True),
    "not shown": (Signature.State.CONFIRMED, False),
    "pending": (Signature.State.PENDING, True),
    "invalidated": (Signature.State.INVALIDATED, True),
    "fraudulent": (Signature.State.FRAUDULENT, True),
}


def _confirm_token(filling: int) -> str:
    return f"link-of-the-pending-signer-{filling}"


def _value(field, petition, filling: int, signer: int, role: str):
    """A value for `field` that is this filling's and this signer's alone."""
    tag = f"mk{filling}{signer}"
    if field.primary_key:
        return 731_000_000 + filling * 1000 + signer
    if field.name == "token_hash":
        return token_hash(_confirm_token(filling)) if role == "pending" else f"{tag}-token-hash"
    if isinstance(field, CountryField):
        return ["PE", "FI", "KE", "JP", "CL"][(signer + filling) % 5]
    if field.choices:
        values = [value for value, _ in field.choices]
        return values[(signer + filling) % len(values)]
    if isinstance(field, models.EmailField):
        return f"{tag}-{field.name}@marker.example"
    if isinstance(field, models.CharField | models.TextField):
        return f"{tag}-{field.name}"[: field.max_length]
    if isinstance(field, models.BooleanField):
        return filling == 1
    if isinstance(field, models.IntegerField):  # BigIntegerField, PositiveIntegerField...
        return 8_700_000_000 + filling * 1000 + signer
    if isinstance(field, models.DateTimeField):
        return datetime(2090 + filling, 2, 3 + signer, 4, 5, 6, tzinfo=UTC)
    if isinstance(field, models.ForeignKey) and field.related_model is Member:
        return _member(petition, filling, signer)
    if isinstance(field, models.ForeignKey) and field.related_model is Partner:
        return Partner.objects.create(
            organisation=petition.organisation, name=f"{tag}-partner", slug=f"{tag}-partner"
        )
    if isinstance(field, models.ForeignKey) and field.related_model is User:
        return User.objects.create(username=f"{tag}-{field.name}", email=f"{tag}@staff.example")
    raise AssertionError(
        f"Signature.{field.name} is new to this test: decide whether the public may see it"
        " (PUBLIC_BY_DESIGN) or teach _value() to fill it"
    )


def _member(petition, filling: int, signer: int) -> Member:
    tag = f"mk{filling}{signer}"
    return Member.objects.create(
        organisation=petition.organisation,
        email=f"{tag}-member@marker.example",
        email_key=f"{tag}-member-key",
        first_name=f"{tag}-member-first",
        last_name=f"{tag}-member-last",
        country="PE",
        postcode=f"{tag}-mpc",
    )


def _fill(petition, filling: int) -> dict[str, list[str]]:
    """Replace the petition's signers with a new filling; the markers of each signer."""
    Signature.objects.filter(petition=petition).delete()
    Member.objects.all().delete()
    User.objects.filter(email__endswith="@staff.example").delete()
    markers = {}
    for signer, (role, (state, show_name)) in enumerate(SIGNERS.items()):
        values = {
            field.name: _value(field, petition, filling, signer, role)
            for field in Signature._meta.concrete_fields
            if field.name not in PUBLIC_BY_DESIGN
        }
        if role == "shown":
            values["first_name"] = SHOWN_FIRST_NAME
            values["last_name"] = SHOWN_INITIAL + values["last_name"]
            values["country"] = SHOWN_COUNTRY[0]
            # A shown signer's reason is on the page by their choice, unless staff hid it.
            values["comment"] = SHOWN_REASON
            values["comment_hidden"] = False
        signature = Signature.objects.create(
            petition=petition, state=state, show_name=show_name, **values
        )
        # auto_now_add wrote its own time over ours.
        Signature.objects.filter(pk=signature.pk).update(created_at=values["created_at"])
        markers[role] = _markers(values, role)
    return markers


def _markers(values: dict, role: str) -> list[str]:
    """The stored values that must not appear, as a page could print them."""
    found = []
    # A choice or a country code is a word any page may hold; the comparison test covers them.
    words = {f.name for f in Signature._meta.concrete_fields if f.choices} | {"country"}
    for name, value in values.items():
        if name in words or (role == "shown" and name in {"first_name", "comment"}):
            continue
        if isinstance(value, User):
            found += [value.username, value.email]
        elif isinstance(value, Member):
            found += [value.email, value.first_name, value.last_name, value.postcode]
        elif isinstance(value, datetime):
            found += [value.isoformat()[:19], value.strftime("%-d %B %Y")]
        elif isinstance(value, str):
            found.append(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            found.append(str(value))
    return found


def _public_responses(petition, filling: int) -> dict[str, tuple]:
    """Every public page and JSON answer, as a stranger gets them, with the caches emptied."""
    _local_caches_clear()
    cache.clear()
    slug = petition.slug
    stranger = Client()
    answers = {
        "petition page": stranger.get(reverse("petitions:detail", args=[slug])),
        "signers page": stranger.get(reverse("petitions:signers", args=[slug])),
        "count": stranger.get(reverse("petitions:count", args=[slug])),
        "visitor state": stranger.get(reverse("petitions:visitor", args=[slug])),
        "thanks": stranger.get(reverse("petitions:thanks", args=[slug])),
        "thanks, already signed": stranger.get(
            reverse("petitions:thanks", args=[slug]) + "?already=1"
        ),
        "confirm": stranger.get(reverse("petitions:confirm", args=[_confirm_token(filling)])),
        "confirmed": stranger.get(reverse("petitions:confirmed", args=[slug])),
        "form with errors": stranger.post(
            reverse("petitions:sign", args=[slug]), sign_data(email="not an address")
        ),
        "form expired": Client(enforce_csrf_checks=True).post(
            reverse("petitions:sign", args=[slug]), sign_data()
        ),
        "new link asked": stranger.post(
            reverse("petitions:resend", args=[slug]), {"email": "visitor@example.org"}
        ),
        "home": stranger.get(reverse("home")),
    }
    return {name: _comparable(response) for name, response in answers.items()}


def _comparable(response) -> tuple:
    # A CSRF token and a never-cache expiry time are new on every response.
    body = re.sub(rb'(name="csrfmiddlewaretoken" value=")[^"]*', rb"\1", response.content)
    body = re.sub(rb'("csrf": ")[^"]*', rb"\1", body)
    headers = {k: v for k, v in response.items() if k not in {"Expires", "Set-Cookie"}}
    return response.status_code, headers, body.decode()


def test_every_signature_field_is_either_public_by_design_or_filled_here(petition):
    _fill(petition, 1)  # fails, naming the field, when a field is new

    assert set(PUBLIC_BY_DESIGN) <= {f.name for f in Signature._meta.concrete_fields}


def test_the_confirm_page_is_among_the_pages_checked(petition):
    _fill(petition, 1)

    pages = _public_responses(petition, 1)

    assert pages["confirm"][0] == 200, "the pending signer's link should open its page"


def test_no_public_page_carries_any_stored_value_of_a_signer(petition):
    markers = _fill(petition, 1)

    pages = _public_responses(petition, 1)

    leaks = [
        f"{role} signer's {marker!r} on {page}"
        for page, (_, headers, body) in pages.items()
        for role, values in markers.items()
        for marker in values
        if marker in body or marker in str(headers)
    ]
    assert leaks == []


def test_public_pages_do_not_change_when_anything_but_the_listed_name_changes(petition):
    _fill(petition, 1)
    first = _public_responses(petition, 1)
    _fill(petition, 2)

    second = _public_responses(petition, 2)

    assert {page: second[page] == first[page] for page in first} == dict.fromkeys(first, True)


def test_a_signer_who_asked_is_listed_by_first_name_initial_and_country_only(petition):
    _fill(petition, 1)

    html = _public_responses(petition, 1)["petition page"][2]

    section = re.search(r'<section class="recent".*?</section>', html, re.S)
    assert section, "the signer who asked to be shown is not listed"
    text = " ".join(re.sub(r"<[^>]+>", " ", section[0]).split())
    assert text == (
        f"Recent signers {SHOWN_FIRST_NAME} {SHOWN_INITIAL}. · {SHOWN_COUNTRY[1]}"
        " See more signers and their reasons"
    )


def test_a_signer_who_asked_has_their_reason_shown_with_their_listed_name_only(petition):
    _fill(petition, 1)

    html = _public_responses(petition, 1)["petition page"][2]

    section = re.search(r'<section class="reasons".*?</section>', html, re.S)
    assert section, "the reason of the signer who asked to be shown is not on the page"
    text = " ".join(re.sub(r"<[^>]+>", " ", section[0]).split())
    assert text == (
        f"Why people are signing {SHOWN_REASON} {SHOWN_FIRST_NAME} {SHOWN_INITIAL}."
        f" · {SHOWN_COUNTRY[1]}"
    )
