"""Property tests of signed tokens: mailing links (mailings.tokens) and confirmation links.

A token verifies only for its own purpose, its own subject and while unexpired, and any
one-character change to it is refused.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mailings import tokens
from petitions.links import confirmation_token, new_link
from petitions.selectors import signature_for_token
from tests.factories import SignatureFactory

recipient_ids = st.integers(min_value=0, max_value=2**53)
purposes = st.sampled_from(sorted(tokens.PURPOSES))
TOKEN_CHARACTERS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.=+/ "


@st.composite
def one_character_changes(draw, token: str) -> str:
    """The token with one character replaced, inserted or taken out."""
    where = draw(st.integers(0, len(token) - 1))
    how = draw(st.sampled_from(["replace", "insert", "delete"]))
    if how == "delete":
        return token[:where] + token[where + 1 :]
    character = draw(st.sampled_from(TOKEN_CHARACTERS))
    if how == "insert":
        return token[:where] + character + token[where:]
    assume(character != token[where])
    return token[:where] + character + token[where + 1 :]


# --- Mailing tokens -------------------------------------------------------------------


@settings(max_examples=200)
@given(recipient_id=recipient_ids, purpose=purposes)
def test_a_mailing_token_names_its_recipient_for_its_purpose(recipient_id, purpose):
    token = tokens.recipient_token(recipient_id, purpose)

    assert tokens.recipient_id_from_token(token, purpose) == recipient_id


@settings(max_examples=200)
@given(recipient_id=recipient_ids, purpose=purposes, other=purposes)
def test_a_mailing_token_is_refused_for_any_other_purpose(recipient_id, purpose, other):
    assume(other != purpose)

    token = tokens.recipient_token(recipient_id, purpose)

    assert tokens.recipient_id_from_token(token, other) is None


@settings(max_examples=300)
@given(data=st.data(), recipient_id=recipient_ids, purpose=purposes)
def test_any_one_character_change_to_a_mailing_token_is_refused(data, recipient_id, purpose):
    token = tokens.recipient_token(recipient_id, purpose)
    changed = data.draw(one_character_changes(token))

    for any_purpose in tokens.PURPOSES:
        assert tokens.recipient_id_from_token(changed, any_purpose) is None


@settings(max_examples=100)
@given(recipient_id=recipient_ids, other=recipient_ids, purpose=purposes)
def test_a_mailing_token_cannot_be_moved_to_another_recipient(recipient_id, other, purpose):
    assume(other != recipient_id)
    token = tokens.recipient_token(recipient_id, purpose)
    mac = token.rpartition(".")[2]
    forged = f"{tokens.recipient_token(other, purpose).rpartition('.')[0]}.{mac}"

    assert tokens.recipient_id_from_token(forged, purpose) is None


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recipient_id=recipient_ids, days=st.integers(0, 400))
def test_only_recognition_expires_and_only_after_its_days(django_settings, recipient_id, days):
    django_settings.MAILING_TOKEN_DAYS = 30
    with freeze_time("2026-11-30 12:00:00") as clock:
        issued = {p: tokens.recipient_token(recipient_id, p) for p in tokens.PURPOSES}
        clock.tick(timedelta(days=days))
        for purpose, token in issued.items():
            valid = purpose not in tokens.EXPIRING or days <= 30
            expected = recipient_id if valid else None
            assert tokens.recipient_id_from_token(token, purpose) == expected


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recipient_id=recipient_ids, purpose=purposes)
def test_a_mailing_token_from_another_secret_key_is_refused(
    django_settings, recipient_id, purpose
):
    django_settings.SECRET_KEY = "one-secret-key"
    token = tokens.recipient_token(recipient_id, purpose)
    django_settings.SECRET_KEY = "another-secret-key"

    assert tokens.recipient_id_from_token(token, purpose) is None


@pytest.fixture
def django_settings(settings):
    return settings


# --- Confirmation links --------------------------------------------------------------


@pytest.fixture
def pending(db):
    """A pending signature whose link is known: the token is what its email would carry."""
    link = new_link()
    signature = SignatureFactory(**link)
    return signature, confirmation_token(link["token_nonce"])


HYPOTHESIS_DB = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
@HYPOTHESIS_DB
@given(data=st.data())
def test_any_one_character_change_to_a_confirmation_link_is_refused(pending, data):
    signature, token = pending
    assert signature_for_token(token) == signature

    changed = data.draw(one_character_changes(token))

    assert signature_for_token(changed) is None


@pytest.mark.django_db
@HYPOTHESIS_DB
@given(nonce=st.from_regex(r"[A-Za-z0-9_\-]{1,40}", fullmatch=True))
def test_a_confirmation_link_confirms_only_its_own_signature(pending, nonce):
    signature, token = pending
    assume(nonce != signature.token_nonce)

    assert confirmation_token(nonce) != token
    assert signature_for_token(confirmation_token(nonce)) is None


@pytest.mark.django_db
@HYPOTHESIS_DB
@given(seconds=st.integers(1, 400 * 86400))
def test_a_confirmation_link_is_refused_once_expired(pending, seconds):
    signature, token = pending

    with freeze_time(signature.token_expires_at + timedelta(seconds=seconds)):
        assert signature_for_token(token) is None
    with freeze_time(signature.token_expires_at - timedelta(seconds=seconds)):
        assert signature_for_token(token) == signature


@pytest.mark.django_db
@HYPOTHESIS_DB
@given(recipient_id=recipient_ids, purpose=purposes)
def test_a_confirmation_link_and_a_mailing_token_are_never_each_other(
    pending, recipient_id, purpose
):
    signature, token = pending

    assert tokens.recipient_id_from_token(token, purpose) is None
    assert signature_for_token(tokens.recipient_token(recipient_id, purpose)) is None


def test_the_signature_for_a_token_must_still_be_awaiting_confirmation(pending):
    signature, token = pending
    signature.state = "confirmed"
    signature.save()

    assert signature_for_token(token) is None
    assert timezone.now() < signature.token_expires_at
