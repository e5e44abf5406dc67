"""Whatever arrives at the sign URL, the answer is a redirect or a clear 4xx, never a 500."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petitions.models import Signature
from tests.conftest import sign_data

FIELDS = [
    "first_name",
    "last_name",
    "email",
    "country",
    "postcode",
    "comment",
    "channel",
    "website",
]

hostile_text = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '=HYPERLINK("http://evil.example")',
            "\x00",
            "a" * 10_000,
            "\ufffd",
            "@SUM(1+1)",
            "+44 20",
            "\u202eevil",
            "' OR 1=1 --",
        ]
    ),
)


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(FIELDS), value=hostile_text)
def test_any_single_field_value_gets_a_redirect_or_a_clear_refusal(petition, field, value):
    before = Signature.objects.count()
    data = sign_data(email=f"fuzz{before}@example.org")
    data[field] = value

    response = Client().post(f"/p/{petition.slug}/sign/", data)

    assert response.status_code in (302, 400), response.status_code
    after = Signature.objects.count()
    if response.status_code == 400:
        assert after == before
        assert 'class="field-error"' in response.content.decode()
    elif field == "website" and value:
        assert after == before  # the honeypot: looks like success, stores nothing
    else:
        assert after == before + 1
