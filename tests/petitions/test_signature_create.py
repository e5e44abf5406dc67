import pytest

from jobs.models import Job
from lib.addresses import email_key
from petitions.models import Petition, Signature
from petitions.services import (
    PetitionClosed,
    confirmation_token,
    network_key,
    signature_create,
    signature_set_state,
    token_hash,
)
from tests.conftest import REQUEST_META, sign_data
from tests.factories import PartnerFactory, PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def _sign(petition, meta=REQUEST_META, **overrides):
    return signature_create(
        petition=petition, data=sign_data(**overrides), request_meta=meta, language="en-GB"
    )


def _jobs(kind):
    return list(Job.objects.filter(kind=kind))


def test_it_creates_a_pending_signature_and_one_job_for_the_worker(petition):
    result = _sign(petition)

    signature = Signature.objects.get()
    assert result.created
    assert result.signature == signature
    assert signature.state == Signature.State.PENDING
    assert signature.email_key == email_key("grace@example.org")
    assert signature.token_hash and signature.token_expires_at
    assert not signature.count_dirty
    [job] = _jobs("signature_submitted")
    assert job.payload["signature"] == signature.pk and job.payload["created"] is True
    # The link is derived when the email is sent: no token waits in the ledger.
    assert set(job.payload) == {"signature", "created", "net"}
    assert signature.token_hash == token_hash(confirmation_token(signature.token_nonce))


@pytest.mark.parametrize(
    ("first_email", "repeat_email"),
    [
        ("grace@example.org", "grace@example.org"),
        ("grace@example.org", "GRACE@Example.ORG"),
        ("grace@gmail.com", "g.race+petitions@googlemail.com"),
    ],
)
def test_it_keeps_one_live_signature_per_email(petition, first_email, repeat_email):
    first = _sign(petition, email=first_email)
    repeat = _sign(petition, email=repeat_email, first_name="Someone")

    assert not repeat.created
    assert repeat.signature.pk == first.signature.pk
    assert Signature.objects.count() == 1
    # The repeat records the same kind of job, for the worker to tell the owner.
    new_job, repeat_job = _jobs("signature_submitted")
    assert repeat_job.payload == {**new_job.payload, "created": False}


def test_it_treats_gmail_dots_and_googlemail_as_the_same_address(petition):
    _sign(petition, email="grace.hopper@gmail.com")
    repeat = _sign(petition, email="GraceHopper+x@googlemail.com")

    assert not repeat.created
    assert Signature.objects.count() == 1


def test_it_counts_dots_elsewhere_as_different_addresses(petition):
    _sign(petition, email="grace.hopper@example.org")
    other = _sign(petition, email="gracehopper@example.org")

    assert other.created
    assert Signature.objects.count() == 2


def test_a_repeat_leaves_the_link_the_owner_holds_untouched(petition):
    first = _sign(petition)
    held_link = first.signature.token_hash
    _sign(petition)

    first.signature.refresh_from_db()
    assert first.signature.token_hash == held_link


def test_the_job_names_the_client_network_only_by_a_keyed_hash(petition):
    _sign(petition, meta={"REMOTE_ADDR": "198.51.100.77"})

    [job] = _jobs("signature_submitted")
    assert job.payload["net"] == network_key("198.51.100.0/24")
    assert "198.51.100" not in str(job.payload)


@pytest.mark.parametrize("state", [Signature.State.FRAUDULENT, Signature.State.INVALIDATED])
def test_a_planted_or_invalidated_row_does_not_block_the_real_person(petition, state):
    planted = SignatureFactory(petition=petition, email="grace@example.org", state=state)

    result = _sign(petition)

    assert result.created
    assert result.signature.pk != planted.pk
    assert Signature.objects.filter(state__in=Signature.LIVE_STATES).count() == 1


def test_it_lets_the_same_person_sign_another_petition(petition):
    _sign(petition)
    other = PetitionFactory(organisation=petition.organisation)

    assert _sign(other).created


def test_it_confirms_at_once_when_the_petition_asks_no_confirmation(organisation):
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)

    _sign(petition)

    signature = Signature.objects.get()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at is not None
    assert signature.count_dirty and not signature.counted
    assert signature.token_hash == ""
    [job] = _jobs("signature_submitted")
    assert job.payload["created"] is True


@pytest.mark.parametrize("status", [Petition.Status.CLOSED, Petition.Status.WON, "draft"])
def test_it_refuses_signatures_unless_the_petition_is_open(organisation, status):
    petition = PetitionFactory(organisation=organisation, status=status)

    with pytest.raises(PetitionClosed):
        _sign(petition)
    assert not Signature.objects.exists()
    assert not Job.objects.exists()


def test_it_records_the_details_the_signer_gave(petition):
    _sign(petition, show_name=True, opt_in=True, channel="whatsapp", comment="Because.")

    signature = Signature.objects.get()
    assert signature.show_name and signature.opt_in
    assert signature.opt_in_wording_version
    assert signature.channel == "whatsapp"
    assert signature.comment == "Because."
    assert signature.language == "en-GB"


def test_it_records_the_partner_a_signature_came_through(petition):
    partner = PartnerFactory(organisation=petition.organisation)
    _sign(petition, channel="widget", partner_id=partner.pk)
    _sign(petition, email="someone.else@example.org")

    assert dict(Signature.objects.values_list("email", "partner")) == {
        sign_data()["email"]: partner.pk,
        "someone.else@example.org": None,
    }


def test_the_stored_row_holds_every_value_the_service_built(petition):
    # On PostgreSQL the row is written by one hand-built statement, not by the ORM:
    # every concrete field must arrive as the model instance holds it.
    result = _sign(petition, show_name=True, opt_in=True, channel="email", postcode="N1 9GU")

    stored = Signature.objects.get()
    for field in Signature._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(result.signature, field.attname), (
            field.name
        )
    assert stored.country.code == "GB"
    assert stored.created_at is not None and stored.code


def test_it_records_no_wording_version_without_opt_in(petition):
    _sign(petition)

    assert Signature.objects.get().opt_in_wording_version == ""


def test_it_stores_an_ipv4_address_only_as_a_hash_and_a_24_prefix(petition):
    _sign(petition, meta={"REMOTE_ADDR": "198.51.100.77"})

    signature = Signature.objects.get()
    assert signature.ip_prefix == "198.51.100.0/24"
    assert len(signature.ip_hash) == 64
    stored = {f.attname: getattr(signature, f.attname) for f in Signature._meta.fields}
    assert not any("198.51.100.77" in str(value) for value in stored.values())


def test_it_stores_an_ipv6_address_only_as_a_hash_and_a_48_prefix(petition):
    _sign(petition, meta={"REMOTE_ADDR": "2001:db8:abcd:12:34::1"})

    signature = Signature.objects.get()
    assert signature.ip_prefix == "2001:db8:abcd::/48"
    stored = {f.attname: getattr(signature, f.attname) for f in Signature._meta.fields}
    assert not any("2001:db8:abcd:12" in str(value) for value in stored.values())


def test_it_ignores_a_spoofed_forwarded_for_header_without_trusted_proxies(petition):
    meta = {"REMOTE_ADDR": "198.51.100.77", "HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    _sign(petition, meta=meta)

    assert Signature.objects.get().ip_prefix == "198.51.100.0/24"


def test_it_reads_the_client_behind_one_trusted_proxy(petition, settings):
    settings.TRUSTED_PROXIES = 1
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.1, 203.0.113.9"}
    _sign(petition, meta=meta)

    assert Signature.objects.get().ip_prefix == "203.0.113.0/24"


def test_a_reinstated_row_blocks_a_new_one_again(petition):
    first = _sign(petition).signature
    signature_set_state(signature=first, state=Signature.State.INVALIDATED)
    second = _sign(petition)
    assert second.created

    signature_set_state(signature=second.signature, state=Signature.State.CONFIRMED)
    again = _sign(petition)

    assert not again.created
    assert again.signature.pk == second.signature.pk
