"""After an erasure the address stays suppressed, kept as a keyed hash of its key.

An old list imported later must not bring an erased person back into the mailings; their
own new opt-in still may, as it may after any unsubscription.
"""

import pytest
from django.test import Client

from jobs.services import jobs_drain
from lib.addresses import email_key
from members.imports import member_import_create, member_import_run, member_import_start
from members.models import Member, Suppression
from members.selectors import mailable_members
from members.services import member_suppress, suppression_hash
from petitions.services import signature_create
from rights.copy import person_copy
from rights.services import person_erase, person_holds
from tests.conftest import REQUEST_META, sign_data
from tests.factories import PetitionFactory
from tests.rights.people import ADDRESS, VARIANT, known_person, rows_mentioning

pytestmark = pytest.mark.django_db

KEY = email_key(ADDRESS)
WORDING = "Yes, email me about this campaign and others."


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.MEMBER_IMPORT_DIR = tmp_path / "imports"


def _erased(organisation, reason="unsubscribed") -> None:
    known_person(organisation)
    if reason != "unsubscribed":
        member_suppress(organisation_id=organisation.pk, email_key=KEY, reason=reason)
    person_erase(organisation=organisation, email_key=KEY, by=None, reason="Asked")


def _import(organisation, address: str) -> None:
    member_import = member_import_create(
        organisation_id=organisation.pk,
        by=None,
        data=f"email,first_name\n{address},Ada\n".encode(),
        original_name="old-list.csv",
        source="the 2019 list",
        wording=WORDING,
    )
    member_import_start(member_import=member_import, record_job=lambda pk: None)
    while member_import_run(import_pk=member_import.pk, batches=1, rows=500):
        pass


def _sign_again(organisation) -> Member:
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    data = sign_data(email=ADDRESS, first_name="Ada", last_name="L", opt_in=True)
    signature_create(petition=petition, data=data, request_meta=REQUEST_META)
    jobs_drain()
    return Member.objects.get(organisation=organisation, email_key=KEY)


def _entries() -> list[tuple[str, str]]:
    return list(Suppression.objects.values_list("email_key", "reason"))


def test_the_entry_keeps_its_reason_under_a_hash_and_names_nobody(organisation):
    _erased(organisation, reason="complained")

    assert _entries() == [(suppression_hash(KEY), "complained")]
    assert KEY not in suppression_hash(KEY) and len(suppression_hash(KEY)) == 5 + 64
    assert rows_mentioning("adalovelace", "lovelace") == []


def test_an_old_list_imported_again_does_not_subscribe_the_erased_address(organisation):
    _erased(organisation)

    _import(organisation, VARIANT)  # another spelling of the same address

    back = Member.objects.get(organisation=organisation, email_key=KEY)
    assert back.status == "none"
    assert _entries() == [(KEY, "unsubscribed")]  # under the key again, for every check
    assert not mailable_members(organisation).exists()


def test_without_the_hash_the_import_would_have_subscribed_them(organisation):
    # The same import of an address Chorus never suppressed subscribes it: the test above
    # passes because of the hidden entry, not because imports subscribe nobody.
    _import(organisation, ADDRESS)

    assert Member.objects.get(organisation=organisation, email_key=KEY).status == "subscribed"


def test_their_own_new_opt_in_subscribes_them_as_after_any_unsubscription(organisation):
    _erased(organisation)

    member = _sign_again(organisation)

    assert member.status == "subscribed"
    assert _entries() == []  # lifted by the opt-in, hidden or not
    assert list(mailable_members(organisation)) == [member]


def test_a_complaint_outlives_the_erasure_and_a_new_opt_in(organisation):
    _erased(organisation, reason="complained")

    member = _sign_again(organisation)

    assert member.status != "subscribed"
    assert _entries() == [(KEY, "complained")]
    assert not mailable_members(organisation).exists()


def test_a_rotated_secret_key_still_finds_the_entry(organisation, settings):
    _erased(organisation)
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-0123456789", [old]

    _import(organisation, ADDRESS)

    assert _entries() == [(KEY, "unsubscribed")]
    assert Member.objects.get(organisation=organisation, email_key=KEY).status == "none"


def test_erased_back_and_erased_again_leaves_one_entry(organisation):
    _erased(organisation, reason="bounced")
    _import(organisation, ADDRESS)
    assert _entries() == [(KEY, "bounced")]

    again = person_erase(organisation=organisation, email_key=KEY, by=None, reason="Again")

    assert again.anything
    assert _entries() == [(suppression_hash(KEY), "bounced")]


def test_a_copy_request_after_the_erasure_says_the_hash_is_kept(organisation, mailoutbox):
    _erased(organisation)

    assert person_holds(organisation=organisation, email_key=KEY, purpose="copy")
    copy = person_copy(organisation=organisation, email_key=KEY)
    assert copy["signatures"] == [] and copy["member"] is None
    assert copy["suppression"]["kept_as"] == "hash"
    assert copy["suppression"]["reason"] == "unsubscribed"
    page = _copy_page(mailoutbox)
    assert "kept as a code made from it" in page and ADDRESS not in page


def _link_token(mailoutbox, purpose: str) -> str:
    mailoutbox.clear()
    Client().post("/your-data/", {"email": ADDRESS, "purpose": purpose})
    jobs_drain()
    [message] = mailoutbox
    return message.body.split(f"/your-data/{purpose}/")[1].split("/")[0]


def _copy_page(mailoutbox) -> str:
    token = _link_token(mailoutbox, "copy")
    return Client().post(f"/your-data/copy/{token}/").content.decode()


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("unsubscribed", "An old list we import cannot put you back on our mailings"),
        ("complained", "No email of ours will reach it, even if you sign again later."),
    ],
)
def test_the_erasure_page_says_what_stays_before_the_button(
    organisation, mailoutbox, reason, said
):
    known_person(organisation)
    if reason != "unsubscribed":
        member_suppress(organisation_id=organisation.pk, email_key=KEY, reason=reason)
    token = _link_token(mailoutbox, "erase")

    page = Client().get(f"/your-data/erase/{token}/").content.decode()

    assert "only as a code made from it that cannot be turned back into the address" in page
    assert said in page


def test_an_erasure_request_after_the_erasure_finds_nothing_to_erase(organisation, mailoutbox):
    _erased(organisation)

    assert not person_holds(organisation=organisation, email_key=KEY, purpose="erase")
    mailoutbox.clear()
    Client().post("/your-data/", {"email": ADDRESS, "purpose": "erase"})
    jobs_drain()

    assert mailoutbox == []  # nothing held that an erasure could take: no link
    assert _entries() == [(suppression_hash(KEY), "unsubscribed")]
