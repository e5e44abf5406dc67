"""manage.py chorus_email_keys: stored keys moved to the current rule, collisions handled."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lib.addresses import EMAIL_KEY_VERSION, email_key
from members.models import Member, Suppression
from orgs.models import AuditEvent
from petitions.counting import counts_fold_all, petition_count
from petitions.models import Signature, SignatureEvent
from tests.factories import MemberFactory, PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

State = Signature.State


def _rule_1(address: str) -> str:
    """The key rule 1 made: lower case, +tags dropped, Gmail's dots, the domain as typed."""
    local, _, domain = address.lower().rpartition("@")
    domain = {"googlemail.com": "gmail.com"}.get(domain, domain)
    local = local.split("+", 1)[0] or local
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"1:{local}@{domain}"


def _signature(petition, email, state=State.CONFIRMED, old=True, **fields):
    key = _rule_1(email) if old else email_key(email)
    return SignatureFactory(petition=petition, email=email, email_key=key, state=state, **fields)


def _run(*args) -> str:
    out = StringIO()
    call_command("chorus_email_keys", *args, stdout=out)
    return out.getvalue()


def _keys(model) -> list[str]:
    return list(model.objects.order_by("pk").values_list("email_key", flat=True))


def test_it_moves_every_key_to_the_current_rule_and_a_second_run_finds_nothing(petition):
    _signature(petition, "Ada+news@example.org")
    MemberFactory(organisation=petition.organisation, email="b@me.com", email_key="1:b@me.com")

    first = _run()
    again = _run()

    assert _keys(Signature) == [f"{EMAIL_KEY_VERSION}:ada+news@example.org"]
    assert _keys(Member) == [f"{EMAIL_KEY_VERSION}:b@icloud.com"]
    assert "1 signature(s), 1 member(s) and 0 suppression(s) were moved" in first
    assert again.startswith("0 signature(s), 0 member(s) and 0 suppression(s) were moved")


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("ada@me.com", "Ada@icloud.com"),
        ("ada.love@proton.me", "adalove@protonmail.com"),
        ("ada@bücher.example", "ada@xn--bcher-kva.example"),
    ],
)
def test_two_live_signatures_now_one_person_keep_the_older(organisation, older, newer):
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    first = _signature(petition, older, count_dirty=True)
    second = _signature(petition, newer, count_dirty=True)
    counts_fold_all()
    assert petition_count(petition) == 2

    out = _run()
    counts_fold_all()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (State.CONFIRMED, State.INVALIDATED)
    assert first.email_key == second.email_key == email_key(older)
    [event] = SignatureEvent.objects.filter(signature=second)
    assert event.to_state == State.INVALIDATED
    assert first.code in event.note and "rule" in event.note
    assert f"signature {second.code} invalidated" in out
    assert petition_count(petition) == 1


def test_a_signature_made_since_under_the_new_rule_is_the_newer_one(petition):
    older = _signature(petition, "ada@me.com", state=State.PENDING)
    since = _signature(petition, "ada@icloud.com", state=State.PENDING, old=False)

    _run()

    assert Signature.objects.get(pk=older.pk).state == State.PENDING
    assert Signature.objects.get(pk=since.pk).state == State.INVALIDATED


def test_signatures_of_different_petitions_or_no_longer_live_are_left(organisation):
    first, second = PetitionFactory.create_batch(2, organisation=organisation)
    _signature(first, "ada@me.com")
    _signature(second, "ada@icloud.com")
    _signature(first, "ada@mac.com", state=State.FRAUDULENT)

    _run()

    assert list(Signature.objects.values_list("state", flat=True).order_by("pk")) == [
        State.CONFIRMED,
        State.CONFIRMED,
        State.FRAUDULENT,
    ]
    assert set(_keys(Signature)) == {f"{EMAIL_KEY_VERSION}:ada@icloud.com"}


def test_two_members_now_one_person_are_reported_and_left(organisation):
    older = MemberFactory(organisation=organisation, email="ada@me.com", email_key="1:ada@me.com")
    newer = MemberFactory(
        organisation=organisation, email="ada@icloud.com", email_key="1:ada@icloud.com"
    )

    out = _run()

    assert Member.objects.get(pk=older.pk).email_key == f"{EMAIL_KEY_VERSION}:ada@icloud.com"
    assert Member.objects.get(pk=newer.pk).email_key == "1:ada@icloud.com"
    assert f"member {newer.pk} is the same person as member {older.pk}" in out
    assert "1 pair(s) of members share a key and are left to merge by hand" in out
    assert f"member {newer.pk} is the same person" in _run()  # still reported, still left


def test_a_suppression_takes_its_new_key_from_the_member_who_had_its_old_key(organisation):
    member = MemberFactory(
        organisation=organisation, email="Ada+news@example.org", email_key="1:ada@example.org"
    )
    for key in [member.email_key, "1:zoë@bücher.example"]:
        Suppression.objects.create(
            organisation=organisation, email_key=key, reason="unsubscribed", at=timezone.now()
        )

    _run()

    assert _keys(Suppression) == [
        f"{EMAIL_KEY_VERSION}:ada+news@example.org",
        f"{EMAIL_KEY_VERSION}:zoë@xn--bcher-kva.example",
    ]
    assert Member.objects.get().email_key == _keys(Suppression)[0]


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(petition):
    _signature(petition, "ada@me.com")
    newer = _signature(petition, "ada@icloud.com")
    keys = _keys(Signature)

    out = _run("--dry-run")

    assert _keys(Signature) == keys
    assert not Signature.objects.exclude(state=State.CONFIRMED).exists()
    assert not AuditEvent.objects.exists()
    assert f"signature {newer.code} invalidated" in out
    assert "2 signature(s), 0 member(s) and 0 suppression(s) would be moved" in out
    assert "1 signature(s) would be invalidated" in out


def test_the_run_is_in_the_audit_log_with_counts_and_no_address(petition):
    _signature(petition, "ada@me.com")
    newer = _signature(petition, "ada@icloud.com")

    _run()

    [event] = AuditEvent.objects.all()
    assert event.detail["signatures"] == 2
    assert event.detail["signatures_invalidated"] == [newer.pk]
    assert "ada" not in str(event.detail) and "ada" not in event.summary


def test_small_batches_give_the_same_result(petition):
    for n in range(5):
        _signature(petition, f"p{n}@me.com")
        _signature(petition, f"p{n}@icloud.com")

    _run("--batch-size", "2")

    assert Signature.objects.filter(state=State.INVALIDATED).count() == 5
    assert not Signature.objects.exclude(email_key__startswith=f"{EMAIL_KEY_VERSION}:").exists()


def test_a_nonsense_batch_size_is_refused():
    with pytest.raises(CommandError):
        _run("--batch-size", "0")
