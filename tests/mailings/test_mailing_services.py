"""mailings.services: every transition of a mailing's state, and every refusal."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mailings.models import Mailing, MailingEvent, Recipient, Segment
from mailings.services import (
    MailingRefused,
    mailing_cancel,
    mailing_create,
    mailing_pause,
    mailing_problems,
    mailing_resume,
    mailing_retry_failed,
    mailing_schedule,
    mailing_unschedule,
    mailing_update,
)
from tests.factories import (
    MailingFactory,
    OrganisationFactory,
    PetitionFactory,
    RecipientFactory,
    UserFactory,
)

State = Mailing.State
SENDER = "petitions@chorus.invalid"


@pytest.fixture
def user(db):
    return UserFactory(username="cam")


@pytest.fixture
def segment(organisation):
    return Segment.objects.create(organisation=organisation, name="Everyone", definition={})


def data(**overrides) -> dict:
    return {
        "name": "December appeal",
        "subject": "They are scraping our photos",
        "preheader": "Two minutes, one click",
        "from_name": "Open Faces",
        "from_address": SENDER,
        "reply_to": "",
        "body": "Hello {{first_name|friend}},\n\nPlease sign.",
        "petition": None,
        "segment": None,
        "variants": [],
    } | overrides


def ready(organisation, segment, state=State.DRAFT, **fields) -> Mailing:
    fields = {"body": "Hello {{first_name|friend}}, please sign."} | fields
    return MailingFactory(organisation=organisation, segment=segment, state=state, **fields)


def actions(mailing) -> list[str]:
    return list(
        MailingEvent.objects.filter(mailing=mailing)
        .order_by("id")
        .values_list("action", flat=True)
    )


# ---- Composing ---------------------------------------------------------------------------


def test_a_new_mailing_is_a_draft_with_its_variants_lettered_and_an_event(organisation, user):
    mailing = mailing_create(
        organisation=organisation, data=data(variants=["One", "Two", "Three"]), by=user
    )

    assert mailing.state == State.DRAFT
    assert mailing.created_by == user
    assert [(v.letter, v.subject) for v in mailing.variants.all()] == [
        ("A", "One"),
        ("B", "Two"),
        ("C", "Three"),
    ]
    assert actions(mailing) == ["created"]


def test_an_empty_from_name_becomes_the_organisations_sender_name(organisation, user):
    mailing = mailing_create(organisation=organisation, data=data(from_name=""), by=user)

    assert mailing.from_name == organisation.email_sender_name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"from_address": "ceo@elsewhere.example"}, "configured senders"),
        ({"subject": "Hi\r\nBcc: all@example.org"}, "one line"),
        ({"from_name": "Open\nFaces"}, "one line"),
        ({"body": "Hello {{last_name}}"}, "not a merge field"),
        ({"name": "x" * 201}, "200 characters"),
        ({"variants": ["Only one"]}, "at least two"),
        ({"variants": ["Same", "Same"]}, "differ"),
        ({"variants": ["A", "B", "C", "D", "E"]}, "at most 4"),
        ({"ab_sample_percent": 60}, "between 5 and 50"),
        ({"ab_wait_minutes": 10}, "30 minutes and 48 hours"),
        ({"ab_metric": "opens"}, "clicks or by signatures"),
        ({"reply_to": "not an address"}, "not an email address"),
    ],
)
def test_bad_data_is_refused_and_nothing_is_stored(organisation, user, overrides, message):
    with pytest.raises(MailingRefused, match=message):
        mailing_create(organisation=organisation, data=data(**overrides), by=user)

    assert not Mailing.objects.exists()


def test_another_organisations_petition_or_segment_is_refused(organisation, user):
    other = OrganisationFactory(name="Other")
    with pytest.raises(MailingRefused, match="petitions"):
        mailing_create(
            organisation=organisation,
            data=data(petition=PetitionFactory(organisation=other)),
            by=user,
        )
    foreign = Segment.objects.create(organisation=other, name="Theirs")
    with pytest.raises(MailingRefused, match="segments"):
        mailing_create(organisation=organisation, data=data(segment=foreign), by=user)

    assert not Mailing.objects.exists()


def test_a_draft_and_a_scheduled_mailing_can_be_edited(organisation, segment, user):
    for state in (State.DRAFT, State.SCHEDULED):
        mailing = ready(organisation, segment, state=state)

        mailing_update(mailing=mailing, data=data(subject="New words", segment=segment), by=user)

        mailing.refresh_from_db()
        assert mailing.subject == "New words"
        assert mailing.state == state


@pytest.mark.parametrize(
    "state", [State.SENDING, State.TESTING, State.PAUSED, State.SENT, State.CANCELLED]
)
def test_a_mailing_that_has_started_cannot_be_edited(organisation, segment, user, state):
    mailing = ready(organisation, segment, state=state)

    with pytest.raises(MailingRefused, match="only drafts and scheduled"):
        mailing_update(mailing=mailing, data=data(subject="Changed"), by=user)

    mailing.refresh_from_db()
    assert mailing.subject != "Changed"


def test_editing_the_variants_replaces_them(organisation, segment, user):
    mailing = mailing_create(organisation=organisation, data=data(variants=["A1", "B1"]), by=user)

    mailing_update(mailing=mailing, data=data(variants=[]), by=user)

    assert not mailing.variants.exists()


# ---- Scheduling --------------------------------------------------------------------------


def test_scheduling_now_makes_it_due_at_once(organisation, segment, user):
    mailing = ready(organisation, segment)

    mailing_schedule(mailing=mailing, at=None, by=user)

    mailing.refresh_from_db()
    assert mailing.state == State.SCHEDULED
    assert mailing.scheduled_at <= timezone.now()
    assert actions(mailing) == ["scheduled"]


def test_scheduling_later_keeps_the_time(organisation, segment, user):
    mailing = ready(organisation, segment)
    at = timezone.now() + timedelta(days=2)

    mailing_schedule(mailing=mailing, at=at, by=user)

    mailing.refresh_from_db()
    assert mailing.scheduled_at == at


def test_a_time_in_the_past_is_refused(organisation, segment, user):
    mailing = ready(organisation, segment)

    with pytest.raises(MailingRefused, match="passed"):
        mailing_schedule(mailing=mailing, at=timezone.now() - timedelta(hours=1), by=user)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"segment": None}, "segment"),
        ({"subject": ""}, "subject"),
        ({"from_address": "x@elsewhere.example"}, "configured senders"),
        ({"body": "Hi {{surname}}"}, "not a merge field"),
        ({"body": "[Sign]({{petition_link}})", "petition": None}, "petition"),
    ],
)
def test_a_mailing_missing_something_is_not_scheduled(
    organisation, segment, user, fields, message
):
    fields = {"segment": segment} | fields
    mailing = ready(organisation, fields.pop("segment"), **fields)

    with pytest.raises(MailingRefused, match=message):
        mailing_schedule(mailing=mailing, at=None, by=user)

    mailing.refresh_from_db()
    assert mailing.state == State.DRAFT


def test_an_organisation_without_a_postal_address_cannot_send(organisation, segment, user):
    organisation.postal_address = " "
    organisation.save()
    mailing = ready(organisation, segment, body="Hello")

    with pytest.raises(MailingRefused, match="postal address"):
        mailing_schedule(mailing=mailing, at=None, by=user)


def test_a_ready_mailing_has_no_problems(organisation, segment, petition):
    body = "[Sign]({{petition_link}})"
    assert mailing_problems(ready(organisation, segment, petition=petition, body=body)) == []


@pytest.mark.parametrize("state", [State.SENDING, State.PAUSED, State.SENT, State.CANCELLED])
def test_only_a_draft_is_scheduled(organisation, segment, user, state):
    mailing = ready(organisation, segment, state=state)

    with pytest.raises(MailingRefused, match="only a draft"):
        mailing_schedule(mailing=mailing, at=None, by=user)


def test_unscheduling_makes_a_draft_again(organisation, segment, user):
    mailing = ready(organisation, segment, state=State.SCHEDULED, scheduled_at=timezone.now())

    mailing_unschedule(mailing=mailing, by=user)

    mailing.refresh_from_db()
    assert (mailing.state, mailing.scheduled_at) == (State.DRAFT, None)


@pytest.mark.parametrize("state", [State.DRAFT, State.SENDING, State.SENT])
def test_only_a_scheduled_mailing_is_unscheduled(organisation, segment, user, state):
    with pytest.raises(MailingRefused, match="only a scheduled"):
        mailing_unschedule(mailing=ready(organisation, segment, state=state), by=user)


def test_a_mailing_the_send_loop_started_meanwhile_is_not_unscheduled(organisation, segment, user):
    mailing = ready(organisation, segment, state=State.SCHEDULED)
    Mailing.objects.filter(pk=mailing.pk).update(state=State.SENDING)  # the loop, meanwhile

    with pytest.raises(MailingRefused):
        mailing_unschedule(mailing=mailing, by=user)

    assert Mailing.objects.get(pk=mailing.pk).state == State.SENDING


# ---- Pause, resume, cancel ---------------------------------------------------------------


@pytest.mark.parametrize("state", [State.SENDING, State.TESTING])
def test_a_sending_or_testing_mailing_pauses(organisation, segment, user, state):
    mailing = ready(organisation, segment, state=state)

    mailing_pause(mailing=mailing, by=user)

    assert Mailing.objects.get(pk=mailing.pk).state == State.PAUSED
    assert actions(mailing) == ["paused"]


@pytest.mark.parametrize("state", [State.DRAFT, State.SCHEDULED, State.PAUSED, State.SENT])
def test_only_a_running_mailing_pauses(organisation, segment, user, state):
    with pytest.raises(MailingRefused, match="only a mailing that is sending"):
        mailing_pause(mailing=ready(organisation, segment, state=state), by=user)


def test_resuming_sends_again(organisation, segment, user):
    mailing = ready(organisation, segment, state=State.PAUSED)

    mailing_resume(mailing=mailing, by=user)

    assert Mailing.objects.get(pk=mailing.pk).state == State.SENDING


def test_resuming_a_test_without_a_winner_goes_back_to_testing(organisation, segment, user):
    mailing = mailing_create(organisation=organisation, data=data(variants=["a", "b"]), by=user)
    Mailing.objects.filter(pk=mailing.pk).update(state=State.PAUSED)
    mailing.refresh_from_db()

    mailing_resume(mailing=mailing, by=user)

    assert Mailing.objects.get(pk=mailing.pk).state == State.TESTING


def test_resuming_a_decided_test_goes_on_sending(organisation, segment, user):
    mailing = mailing_create(organisation=organisation, data=data(variants=["a", "b"]), by=user)
    Mailing.objects.filter(pk=mailing.pk).update(state=State.PAUSED, ab_decided_at=timezone.now())
    mailing.refresh_from_db()

    mailing_resume(mailing=mailing, by=user)

    assert Mailing.objects.get(pk=mailing.pk).state == State.SENDING


@pytest.mark.parametrize("state", [State.DRAFT, State.SENDING, State.SENT, State.CANCELLED])
def test_only_a_paused_mailing_resumes(organisation, segment, user, state):
    with pytest.raises(MailingRefused, match="only a paused"):
        mailing_resume(mailing=ready(organisation, segment, state=state), by=user)


def test_cancelling_marks_the_waiting_recipients_failed_and_keeps_the_sent(
    organisation, segment, user
):
    mailing = ready(organisation, segment, state=State.SENDING)
    sent = RecipientFactory(mailing=mailing, state=Recipient.State.DONE, sent_at=timezone.now())
    waiting = RecipientFactory.create_batch(3, mailing=mailing)

    stopped = mailing_cancel(mailing=mailing, by=user)

    assert stopped == 3
    assert Mailing.objects.get(pk=mailing.pk).state == State.CANCELLED
    sent.refresh_from_db()
    assert sent.state == Recipient.State.DONE
    for recipient in waiting:
        recipient.refresh_from_db()
        assert (recipient.state, recipient.last_error) == (Recipient.State.FAILED, "cancelled")
    assert actions(mailing) == ["cancelled"]


@pytest.mark.parametrize(
    "state", [State.DRAFT, State.SCHEDULED, State.SENDING, State.TESTING, State.PAUSED]
)
def test_every_unsent_mailing_can_be_cancelled(organisation, segment, user, state):
    mailing = ready(organisation, segment, state=state)

    mailing_cancel(mailing=mailing, by=user)

    assert Mailing.objects.get(pk=mailing.pk).state == State.CANCELLED


@pytest.mark.parametrize("state", [State.SENT, State.CANCELLED])
def test_a_sent_or_cancelled_mailing_cannot_be_cancelled(organisation, segment, user, state):
    with pytest.raises(MailingRefused, match="nothing left to cancel"):
        mailing_cancel(mailing=ready(organisation, segment, state=state), by=user)


@pytest.mark.parametrize("state", [State.CANCELLED])
def test_a_cancelled_mailing_cannot_resume(organisation, segment, user, state):
    with pytest.raises(MailingRefused):
        mailing_resume(mailing=ready(organisation, segment, state=state), by=user)


# ---- Retrying failures -------------------------------------------------------------------


def test_retrying_makes_the_failed_recipients_due_again(organisation, segment, user):
    mailing = ready(organisation, segment, state=State.SENDING)
    failed = RecipientFactory(
        mailing=mailing, state=Recipient.State.FAILED, attempts=8, last_error="550 no such user"
    )
    done = RecipientFactory(mailing=mailing, state=Recipient.State.DONE, sent_at=timezone.now())

    assert mailing_retry_failed(mailing=mailing, by=user) == 1

    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.state, failed.attempts) == (Recipient.State.DUE, 0)
    assert done.state == Recipient.State.DONE
    assert actions(mailing) == ["retried"]


def test_retrying_a_sent_mailing_sends_it_again(organisation, segment, user):
    mailing = ready(organisation, segment, state=State.SENT, finished_at=timezone.now())
    RecipientFactory(mailing=mailing, state=Recipient.State.FAILED, last_error="timeout")

    mailing_retry_failed(mailing=mailing, by=user)

    mailing.refresh_from_db()
    assert (mailing.state, mailing.finished_at) == (State.SENDING, None)


def test_a_retry_with_no_failures_is_refused(organisation, segment, user):
    mailing = ready(organisation, segment, state=State.SENT)
    RecipientFactory(mailing=mailing, state=Recipient.State.DONE)

    with pytest.raises(MailingRefused, match="No recipient"):
        mailing_retry_failed(mailing=mailing, by=user)


@pytest.mark.parametrize("state", [State.DRAFT, State.SCHEDULED, State.CANCELLED])
def test_a_mailing_that_has_not_started_or_was_cancelled_is_not_retried(
    organisation, segment, user, state
):
    mailing = ready(organisation, segment, state=state)
    recipient = RecipientFactory(mailing=mailing, state=Recipient.State.FAILED, last_error="x")

    with pytest.raises(MailingRefused, match="only the failures"):
        mailing_retry_failed(mailing=mailing, by=user)

    recipient.refresh_from_db()
    assert recipient.state == Recipient.State.FAILED
