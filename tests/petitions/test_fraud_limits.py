"""petitions.services.limits through signature_create: silent fraud limits on signing."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from freezegun import freeze_time

from jobs.services import jobs_drain
from members.models import Member
from petitions.counting import counts_fold_all, petition_count
from petitions.models import Signature, SignatureEvent
from petitions.services import signature_create, signature_set_state
from tests.conftest import sign_data
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db

State = Signature.State


@pytest.fixture(autouse=True)
def _limits(settings):
    """The defaults, written out so each test changes one thing from a known place."""
    settings.SIGN_LIMIT_NETWORK = 100
    settings.SIGN_LIMIT_NETWORK_WINDOW = 3600
    settings.SIGN_LIMIT_DOMAIN = 300
    settings.SIGN_LIMIT_MAJOR_DOMAIN = 0
    settings.SIGN_LIMIT_DOMAIN_WINDOW = 3600
    settings.SIGN_LIMIT_PETITION = 0
    settings.SIGN_LIMIT_PETITION_WINDOW = 60
    settings.DISPOSABLE_DOMAINS = "flag"
    settings.DISPOSABLE_DOMAINS_FILE = ""


def _sign(petition, email, ip="203.0.113.7", **kwargs) -> Signature:
    result = signature_create(
        petition=petition,
        data=sign_data(email=email),
        request_meta={"REMOTE_ADDR": ip},
        **kwargs,
    )
    return Signature.objects.get(pk=result.signature_id)


def _states(petition) -> list[tuple[str, str]]:
    rows = Signature.objects.filter(petition=petition).order_by("pk")
    return list(rows.values_list("state", "flag_reason"))


def test_a_network_over_its_limit_is_stored_as_fraudulent_with_the_reason(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 2

    for n in range(3):
        _sign(petition, f"person{n}@example.org", ip=f"198.51.100.{n + 1}")

    assert _states(petition) == [
        (State.PENDING, ""),
        (State.PENDING, ""),
        (State.FRAUDULENT, "network limit"),
    ]


def test_another_network_and_another_petition_have_their_own_counts(organisation, settings):
    settings.SIGN_LIMIT_NETWORK = 1
    first, second = PetitionFactory.create_batch(2, organisation=organisation)

    _sign(first, "a@example.org", ip="198.51.100.1")
    _sign(first, "b@example.org", ip="192.0.2.1")
    _sign(second, "c@example.org", ip="198.51.100.1")

    assert not Signature.objects.exclude(state=State.PENDING).exists()


def test_a_network_is_its_slash_24_not_one_address(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 1

    _sign(petition, "a@example.org", ip="198.51.100.1")
    flagged = _sign(petition, "b@example.org", ip="198.51.100.250")

    assert flagged.flag_reason == "network limit"


def test_a_domain_over_its_limit_is_flagged_whatever_the_network(petition, settings):
    settings.SIGN_LIMIT_DOMAIN = 2

    for n in range(3):
        _sign(petition, f"person{n}@bot-farm.example", ip=f"10.0.{n}.1")
    other = _sign(petition, "someone@example.org", ip="10.0.9.1")

    assert [reason for _, reason in _states(petition)] == ["", "", "domain limit", ""]
    assert other.state == State.PENDING


def test_the_major_providers_have_their_own_domain_limit_off_by_default(petition, settings):
    settings.SIGN_LIMIT_DOMAIN = 1

    for n in range(4):
        _sign(petition, f"person{n}@gmail.com", ip=f"10.0.{n}.1")
    assert not Signature.objects.exclude(state=State.PENDING).exists()

    settings.SIGN_LIMIT_MAJOR_DOMAIN = 4
    # Counted all along; and googlemail.com is gmail.com: the same provider, one count.
    flagged = _sign(petition, "person9@googlemail.com", ip="10.0.9.1")
    assert flagged.flag_reason == "domain limit"


def test_the_petition_ceiling_is_off_by_default_so_a_spike_is_not_fraud(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 0
    settings.SIGN_LIMIT_DOMAIN = 0

    for n in range(60):
        _sign(petition, f"person{n}@example.org")

    assert set(_states(petition)) == {(State.PENDING, "")}


def test_the_petition_ceiling_when_set_flags_what_goes_over_it(petition, settings):
    settings.SIGN_LIMIT_PETITION = 2

    for n in range(3):
        _sign(petition, f"person{n}@example{n}.org", ip=f"10.0.{n}.1")

    assert _states(petition)[-1] == (State.FRAUDULENT, "petition ceiling")


def test_every_counter_counts_every_signature_whatever_the_others_said(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 1
    settings.SIGN_LIMIT_DOMAIN = 2

    _sign(petition, "a@bot-farm.example", ip="198.51.100.1")
    _sign(petition, "b@bot-farm.example", ip="198.51.100.1")  # over the network limit
    # The domain's count took the flagged one too, so the third goes over it.
    third = _sign(petition, "c@bot-farm.example", ip="192.0.2.1")

    assert third.flag_reason == "domain limit"


def test_a_signature_over_several_limits_carries_every_reason(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 1
    settings.SIGN_LIMIT_DOMAIN = 1

    _sign(petition, "a@bot-farm.example")
    flagged = _sign(petition, "b@mailinator.com")
    both = _sign(petition, "c@mailinator.com")

    assert flagged.flag_reason == "network limit, disposable domain"
    assert both.flag_reason == "network limit, domain limit, disposable domain"


def test_zero_turns_a_limit_off(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 0
    settings.SIGN_LIMIT_DOMAIN = 0

    for n in range(120):
        _sign(petition, f"person{n}@example.org")

    assert not Signature.objects.exclude(state=State.PENDING).exists()


def test_the_limits_hold_for_each_window_then_start_again(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 1
    with freeze_time("2026-11-30 12:00:00") as clock:
        _sign(petition, "a@example.org")
        assert _sign(petition, "b@example.org").state == State.FRAUDULENT
        clock.tick(timedelta(hours=1))
        assert _sign(petition, "c@example.org").state == State.PENDING


def test_a_flagged_signature_does_not_stop_its_address_signing_later(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 1
    with freeze_time("2026-11-30 12:00:00") as clock:
        _sign(petition, "a@example.org")
        assert _sign(petition, "grace@example.org").state == State.FRAUDULENT
        clock.tick(timedelta(hours=1))
        again = _sign(petition, "grace@example.org")

    assert again.state == State.PENDING


def test_a_flagged_signature_is_never_counted(organisation, settings):
    settings.SIGN_LIMIT_NETWORK = 1
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)

    _sign(petition, "a@example.org")
    flagged = _sign(petition, "b@example.org")
    counts_fold_all()

    assert flagged.state == State.FRAUDULENT
    assert not flagged.counted
    assert petition_count(petition) == 1
    # As a real one would be: staff can reinstate it (and then it counts).
    assert flagged.confirmed_at is not None
    signature_set_state(signature=flagged, state=State.CONFIRMED, note="a genuine crowd")
    counts_fold_all()
    assert petition_count(petition) == 2


def test_a_flagged_signature_gets_no_email_no_member_and_one_logged_event(
    organisation, settings, mailoutbox
):
    settings.SIGN_LIMIT_NETWORK = 1
    asks = PetitionFactory(organisation=organisation)
    counts = PetitionFactory(organisation=organisation, require_confirmation=False)
    _sign(asks, "a@example.org")
    jobs_drain()
    mailoutbox.clear()

    flagged = [_sign(asks, "b@example.org"), _sign(counts, "c@example.org", ip="192.0.2.1")]
    _sign(counts, "d@example.org", ip="192.0.2.1")
    jobs_drain()

    assert mailoutbox == []
    assert not Member.objects.filter(email__in=["b@example.org", "d@example.org"]).exists()
    for signature in flagged[:1]:
        [event] = SignatureEvent.objects.filter(signature=signature)
        assert event.note == "flagged: network limit"
        assert event.to_state == State.FRAUDULENT


def test_the_flag_is_logged_once_if_the_job_runs_twice(petition, settings):
    from petitions.jobs import signature_submitted

    settings.SIGN_LIMIT_NETWORK = 1
    _sign(petition, "a@example.org")
    flagged = _sign(petition, "b@example.org")

    for _ in range(2):
        signature_submitted({"signature": flagged.pk, "created": True, "net": ""})

    assert SignatureEvent.objects.filter(signature=flagged).count() == 1


def test_a_signature_through_a_mailings_link_is_counted_but_never_flagged(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 1

    _sign(petition, "a@example.org")
    proven = _sign(petition, "b@mailinator.com", address_proven=True)
    after = _sign(petition, "c@example.org")

    assert proven.state == State.CONFIRMED
    assert proven.flag_reason == ""
    assert after.flag_reason == "network limit"


def test_a_disposable_domain_is_flagged_and_so_are_its_subdomains(petition):
    assert _sign(petition, "a@mailinator.com").flag_reason == "disposable domain"
    assert _sign(petition, "b@x.mailinator.com").flag_reason == "disposable domain"
    assert _sign(petition, "c@example.org").flag_reason == ""


def test_disposable_domains_off_lets_them_sign(petition, settings):
    settings.DISPOSABLE_DOMAINS = "off"

    assert _sign(petition, "a@mailinator.com").state == State.PENDING


def test_the_limits_fail_open_when_the_cache_is_down(petition, settings, monkeypatch):
    settings.SIGN_LIMIT_NETWORK = 1

    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "incr", down)
    monkeypatch.setattr(cache, "add", down)
    if settings.REDIS_URL:
        monkeypatch.setattr(cache._cache, "get_client", down)
    states = {_sign(petition, f"p{n}@example.org").state for n in range(3)}

    assert states == {State.PENDING}


def test_the_cache_holds_no_network_prefix_and_no_domain(petition, settings):
    if settings.REDIS_URL:
        pytest.skip("reads the embedded cache's own store")
    settings.SIGN_LIMIT_PETITION = 100
    _sign(petition, "grace@bot-farm.example", ip="198.51.100.7")

    keys = " ".join(str(key) for key in cache._cache)  # LocMemCache's own store

    assert "198.51.100" not in keys
    assert "bot-farm" not in keys
    assert "sign:pet:" in keys


def test_a_flagged_signature_is_stored_at_the_time_it_came(petition, settings):
    settings.SIGN_LIMIT_NETWORK = 1
    _sign(petition, "a@example.org")
    before = timezone.now()

    flagged = _sign(petition, "b@example.org")

    assert flagged.created_at >= before
    assert flagged.token_hash  # the same work as any pending signature; its link is never sent
