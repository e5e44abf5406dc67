"""Every email field on every public form takes an address as people paste it.

Copied from a mail client, a web page or a spreadsheet cell, an address arrives
with spaces, tabs, a line break or no-break spaces around it. That is trimmed,
never refused.
"""

import inspect

import pytest
from django import forms
from django.urls import reverse

from petitions import forms as public_forms
from petitions.models import Signature
from petitions.services import signature_create
from tests.conftest import REQUEST_META, sign_data

pytestmark = pytest.mark.django_db

ADDRESS = "grace@example.org"

PASTED = {
    "spaces": f"  {ADDRESS}  ",
    "tabs": f"\t{ADDRESS}\t",
    "a line break from a spreadsheet cell": f"{ADDRESS}\r\n",
    "a line break before it": f"\n{ADDRESS}",
    "no-break spaces from a web page": f"\u00a0{ADDRESS}\u00a0",
    "a narrow no-break space": f"\u202f{ADDRESS}",
    "an ideographic space from a Japanese keyboard": f"\u3000{ADDRESS}\u3000",
    "a mix": f" \t\u00a0{ADDRESS} \r\n",
}

# What each public form needs besides its email field to be valid.
OTHER_FIELDS = {
    public_forms.SignatureForm: sign_data(),
    public_forms.ResendForm: {},
}


def _email_fields() -> list[tuple[type, str]]:
    """Every (form, field) in the public forms module that takes an email address."""
    found = []
    for form in vars(public_forms).values():
        if inspect.isclass(form) and issubclass(form, forms.BaseForm) and form.base_fields:
            for name, field in form.base_fields.items():
                if "email" in name or isinstance(field, forms.EmailField):
                    found.append((form, name))
    return found


def test_every_public_form_with_an_email_field_is_covered_here():
    assert _email_fields(), "no email field found: has the public forms module moved?"
    assert {form for form, _ in _email_fields()} <= set(OTHER_FIELDS)


@pytest.mark.parametrize(
    ("form", "field"), _email_fields(), ids=lambda v: getattr(v, "__name__", v)
)
@pytest.mark.parametrize("pasted", PASTED)
def test_a_pasted_address_is_trimmed_not_refused(form, field, pasted):
    bound = form({**OTHER_FIELDS[form], field: PASTED[pasted]})

    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data[field] == ADDRESS


@pytest.mark.parametrize("pasted", PASTED)
def test_signing_with_a_pasted_address_stores_it_trimmed(public_client, petition, pasted):
    response = public_client.post(
        reverse("petitions:sign", args=[petition.slug]), sign_data(email=PASTED[pasted])
    )

    assert response.status_code == 302
    assert Signature.objects.get().email == ADDRESS


@pytest.mark.parametrize("pasted", PASTED)
def test_asking_for_a_new_link_with_a_pasted_address_is_answered_as_for_the_typed_one(
    public_client, petition, pasted
):
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)
    url = reverse("petitions:resend", args=[petition.slug])

    typed = public_client.post(url, {"email": ADDRESS})
    pasted_response = public_client.post(url, {"email": PASTED[pasted]})

    assert pasted_response.status_code == typed.status_code == 200
    assert pasted_response.content == typed.content
