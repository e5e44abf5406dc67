"""Sending a mailing: the set-wise snapshot, the send loop through a real SMTP server,
throttling per provider, refusals, pause and cancel, and the subject-line test."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lib import mailrate
from lib.mail import mail_connection_close
from mailings import sending
from mailings.models import Mailing, Recipient, Variant
from members.models import Member, Suppression
from members.services import member_suppress
from tests.factories import MailingFactory, MemberFactory, PetitionFactory
from tests.mailings.smtp_server import inbox_serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(settings):
    yield from inbox_serve(settings)


ADDRESSES = {
    "ada@gmail.com": "gmail",
    "Bob@GoogleMail.com": "gmail",
    "cy@outlook.com": "microsoft",
    "di@hotmail.co.uk": "microsoft",
    "ed@live.com": "microsoft",
    "fi@msn.com": "microsoft",
    "gu@yahoo.fr": "yahoo",
    "ha@ymail.com": "yahoo",
    "io@aol.com": "yahoo",
    "ju@example.org": "other",
    "ka@notgmail.com": "other",
    "lu@gmail.com.evil.example": "other",
}


@pytest.fixture(autouse=True)
def _fresh_rates():
    mailrate.mail_rates_forget()
    sending.compiled_forget()
    yield
    mailrate.mail_rates_forget()
    sending.compiled_forget()
    mail_connection_close()


def subscribed(organisation, email, **fields):
    return MemberFactory(
        organisation=organisation, email=email, status=Member.Status.SUBSCRIBED, **fields
    )


def scheduled(organisation, **fields):
    petition = PetitionFactory(organisation=organisation)
    return MailingFactory(
        organisation=organisation,
        petition=petition,
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now() - timedelta(seconds=1),
        **fields,
    )


def drain_all(limit: int = 50) -> int:
    sent = 0
    for _ in range(limit):
        done = sending.recipients_drain()
        if not done:
            return sent
        sent += done
    return sent


def test_starting_snapshots_the_mailable_members_in_one_insert_with_their_providers(
    organisation,
):
    for address in ADDRESSES:
        subscribed(organisation, address)
    MemberFactory(organisation=organisation, email="never@example.org")  # not subscribed
    gone = subscribed(organisation, "gone@example.org")
    member_suppress(organisation_id=organisation.pk, email_key=gone.email_key, reason="bounced")
    subscribed(MemberFactory().organisation, "elsewhere@example.org")  # another organisation
    mailing = scheduled(organisation)

    with CaptureQueriesContext(connection) as queries:
        assert sending.mailing_start(mailing=mailing) is True

    # The other INSERT is the audit log's one row for the send.
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "mailings_')]
    assert len(inserts) == 1 and "SELECT" in inserts[0]
    rows = {r.member.email: r for r in Recipient.objects.select_related("member")}
    assert {email: r.provider for email, r in rows.items()} == ADDRESSES
    now = timezone.now()
    assert all(r.state == Recipient.State.DUE and r.run_after <= now for r in rows.values())
    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.SENDING
    assert mailing.recipients_total == len(ADDRESSES)
    assert mailing.started_at is not None
    assert mailing.links == [f"https://act.openfaces.example{mailing.petition.get_absolute_url()}"]


def test_the_snapshot_makes_one_query_whatever_the_number_of_members(organisation):
    for n in range(40):
        subscribed(organisation, f"m{n}@example.org")
    mailing = scheduled(organisation)
    with CaptureQueriesContext(connection) as queries:
        sending.mailing_start(mailing=mailing)
    assert sum("mailings_recipient" in q["sql"] for q in queries) == 1
    assert Recipient.objects.count() == 40


def test_the_python_and_sql_provider_rules_agree(organisation):
    for address in ADDRESSES:
        subscribed(organisation, address)
    sending.mailing_start(mailing=scheduled(organisation))
    for recipient in Recipient.objects.select_related("member"):
        assert mailrate.provider_of(recipient.member.email) == recipient.provider


def test_a_mailing_starts_once_however_often_it_is_asked(organisation):
    subscribed(organisation, "ada@example.org")
    mailing = scheduled(organisation)
    assert sending.mailing_start(mailing=mailing) is True
    stale = Mailing.objects.get(pk=mailing.pk)
    stale.state = Mailing.State.SCHEDULED  # a second worker's out-of-date copy
    assert sending.mailing_start(mailing=stale) is False
    assert Recipient.objects.count() == 1


def test_a_draft_or_a_mailing_scheduled_for_later_does_not_start(organisation):
    subscribed(organisation, "ada@example.org")
    draft = MailingFactory(organisation=organisation)
    later = MailingFactory(
        organisation=organisation,
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(hours=1),
    )
    assert sending.mailings_advance() == 0
    assert not sending.mailing_start(mailing=draft)
    assert not sending.mailing_start(mailing=later)
    assert Recipient.objects.count() == 0


def test_the_loop_starts_sends_and_finishes_a_mailing_through_a_real_smtp_server(
    organisation, inbox
):
    for n in range(7):
        subscribed(organisation, f"m{n}@example.org", first_name=f"Name{n}")
    mailing = scheduled(organisation)

    sending.mailings_advance()
    assert drain_all() == 7
    sending.mailings_advance()

    assert sorted(inbox.addresses()) == sorted(f"m{n}@example.org" for n in range(7))
    for _, [to], message, _ in inbox.messages:
        n = to[1]
        assert f"Hello Name{n}," in message.get_body(preferencelist=("plain",)).get_content()
    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.SENT and mailing.finished_at is not None
    assert not Recipient.objects.exclude(state=Recipient.State.DONE).exists()
    assert not Recipient.objects.filter(sent_at__isnull=True).exists()


def test_a_paused_mailing_sends_nothing_until_resumed(organisation, inbox):
    for n in range(3):
        subscribed(organisation, f"m{n}@example.org")
    mailing = scheduled(organisation)
    sending.mailing_start(mailing=mailing)
    Mailing.objects.filter(pk=mailing.pk).update(state=Mailing.State.PAUSED)

    assert drain_all() == 0
    sending.mailings_advance()
    assert inbox.messages == []
    assert Mailing.objects.get(pk=mailing.pk).state == Mailing.State.PAUSED

    Mailing.objects.filter(pk=mailing.pk).update(state=Mailing.State.SENDING)
    assert drain_all() == 3


def test_a_cancelled_mailing_sends_nothing_more(organisation, inbox):
    for n in range(3):
        subscribed(organisation, f"m{n}@example.org")
    mailing = scheduled(organisation)
    sending.mailing_start(mailing=mailing)
    Mailing.objects.filter(pk=mailing.pk).update(state=Mailing.State.CANCELLED)

    assert drain_all() == 0
    assert inbox.messages == []


def test_a_batch_under_way_stops_when_the_mailing_is_paused(organisation, inbox, monkeypatch):
    for n in range(5):
        subscribed(organisation, f"m{n}@example.org")
    mailing = scheduled(organisation)
    sending.mailing_start(mailing=mailing)
    monkeypatch.setattr(sending, "STATE_CHECK_SECONDS", -1)  # look before every message
    original = sending.mail_deliver_bytes

    def pause_after_first(**message):
        original(**message)
        Mailing.objects.filter(pk=mailing.pk).update(state=Mailing.State.PAUSED)

    monkeypatch.setattr(sending, "mail_deliver_bytes", pause_after_first)
    assert sending.recipients_drain() == 1
    assert len(inbox.messages) == 1
    assert Recipient.objects.filter(state=Recipient.State.DONE).count() == 1
    back = Recipient.objects.filter(state=Recipient.State.DUE)
    assert back.count() == 4
    assert all(r.leased_until is None and r.attempts == 0 for r in back)


def test_sent_recipients_are_marked_done_in_groups_each_with_its_own_time(
    organisation, inbox, monkeypatch, settings
):
    for n in range(7):
        subscribed(organisation, f"m{n}@example.org")
    sending.mailing_start(mailing=scheduled(organisation))
    settings.MAILING_MARK_EVERY = 3
    # Only the group size flushes here: the half-second flush would split the groups on a
    # slow machine.
    monkeypatch.setattr(sending, "STATE_CHECK_SECONDS", 3600)
    groups = []
    original = sending._marks_write

    def record(pending):
        groups.append(len(pending))
        original(pending)

    monkeypatch.setattr(sending, "_marks_write", record)
    assert sending.recipients_drain() == 7

    assert groups == [3, 3, 1]
    done = list(Recipient.objects.filter(state=Recipient.State.DONE).order_by("sent_at"))
    assert len(done) == 7
    assert all(r.leased_until is None and r.last_error == "" for r in done)
    assert len({r.sent_at for r in done}) == 7, "each keeps the time its message went"


def test_a_temporary_refusal_backs_off_and_slows_that_provider_alone(organisation, inbox):
    subscribed(organisation, "ada@gmail.com")
    subscribed(organisation, "cy@outlook.com")
    inbox.refuse["ada@gmail.com"] = "451 4.7.28 Try again later"
    sending.mailing_start(mailing=scheduled(organisation))

    assert drain_all() == 1

    refused = Recipient.objects.get(member__email="ada@gmail.com")
    assert refused.state == Recipient.State.DUE
    assert refused.run_after > timezone.now() + timedelta(seconds=20)
    assert refused.last_error.startswith("451")
    assert mailrate.provider_factor("gmail") == 0.5
    assert mailrate.provider_factor("microsoft") == 1.0
    assert mailrate.provider_rate("gmail") == mailrate.SLOW_BASE_RATE / 2
    assert mailrate.provider_rate("microsoft") == 0  # still unlimited
    assert inbox.addresses() == ["cy@outlook.com"]


def test_a_slowed_provider_recovers_by_doubling(settings):
    settings.MAILING_PROVIDER_RATES = {"yahoo": 40}
    settings.MAILING_PROVIDER_RECOVER_SECONDS = 60
    mailrate.provider_slow("yahoo")
    mailrate.provider_slow("yahoo")
    stored_factor, since = mailrate.cache.get("mailrate:slow:yahoo")
    assert stored_factor == 0.25
    assert mailrate.provider_rate("yahoo") == 10
    assert mailrate.provider_factor("yahoo", now=since + 61) == 0.5
    assert mailrate.provider_factor("yahoo", now=since + 121) == 1.0


def test_a_provider_at_its_rate_waits_and_the_others_do_not(settings):
    settings.MAILING_PROVIDER_RATES = {"gmail": 2}
    import time

    time.sleep(1 - time.time() % 1)  # the start of a second: the three takes share it
    assert mailrate.mail_rate_wait("gmail") == 0
    assert mailrate.mail_rate_wait("gmail") == 0
    assert 0 < mailrate.mail_rate_wait("gmail") <= 1
    assert mailrate.provider_blocked("gmail")
    assert mailrate.mail_rate_wait("other") == 0
    assert not mailrate.provider_blocked("other")


def test_the_overall_rate_holds_back_every_provider(settings):
    settings.MAILING_RATE_PER_SECOND = 1
    import time

    time.sleep(1 - time.time() % 1)
    assert mailrate.mail_rate_wait("gmail") == 0
    assert mailrate.mail_rate_wait("yahoo") > 0


def test_a_rate_limited_recipient_goes_back_without_losing_an_attempt(
    organisation, inbox, settings
):
    settings.MAILING_RATE_PER_SECOND = 1
    for n in range(3):
        subscribed(organisation, f"m{n}@example.org")
    sending.mailing_start(mailing=scheduled(organisation))
    import time

    time.sleep(1 - time.time() % 1)
    assert sending.recipients_drain() == 1
    waiting = Recipient.objects.filter(state=Recipient.State.DUE)
    assert waiting.count() == 2
    assert all(r.attempts == 0 and r.leased_until is None for r in waiting)


def test_a_permanent_refusal_fails_the_recipient_and_suppresses_the_address(organisation, inbox):
    gone = subscribed(organisation, "gone@example.org")
    subscribed(organisation, "here@example.org")
    inbox.refuse["gone@example.org"] = "550 5.1.1 No such user"
    mailing = scheduled(organisation)
    sending.mailing_start(mailing=mailing)

    assert drain_all() == 1
    sending.mailings_advance()

    failed = Recipient.objects.get(member=gone)
    assert failed.state == Recipient.State.FAILED
    assert failed.last_error == "550 5.1.1 No such user"
    assert failed.bounce_kind == "hard" and failed.bounced_at is not None
    gone.refresh_from_db()
    assert gone.status == Member.Status.BOUNCED
    assert Suppression.objects.get(email_key=gone.email_key).reason == "bounced"
    assert Mailing.objects.get(pk=mailing.pk).state == Mailing.State.SENT


def test_an_unreachable_server_gives_the_recipients_back_with_a_backoff(organisation, settings):
    from tests.mailings.smtp_server import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    subscribed(organisation, "ada@example.org")
    sending.mailing_start(mailing=scheduled(organisation))

    assert sending.recipients_drain() == 0
    recipient = Recipient.objects.get()
    assert recipient.state == Recipient.State.DUE and recipient.attempts == 1
    assert recipient.run_after > timezone.now()
    assert "ConnectionRefusedError" in recipient.last_error


def test_a_subject_test_sends_variants_to_an_even_random_sample_and_holds_the_rest(
    organisation,
):
    for n in range(100):
        subscribed(organisation, f"m{n}@example.org")
    mailing = scheduled(organisation, ab_sample_percent=20, ab_wait_minutes=60)
    a = Variant.objects.create(mailing=mailing, letter="A", subject="Subject A")
    b = Variant.objects.create(mailing=mailing, letter="B", subject="Subject B")

    sending.mailing_start(mailing=mailing)

    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.TESTING
    assert Recipient.objects.filter(variant=a).count() == 10
    assert Recipient.objects.filter(variant=b).count() == 10
    held = Recipient.objects.filter(variant__isnull=True)
    assert held.count() == 80
    assert all(r.run_after == sending.HELD for r in held)
    assert not Recipient.objects.filter(variant__isnull=False, run_after__gt=timezone.now())
    # The sample is not simply the first members made.
    first_twenty = set(Member.objects.order_by("pk").values_list("pk", flat=True)[:20])
    sampled = set(Recipient.objects.filter(variant__isnull=False).values_list("member", flat=True))
    assert sampled != first_twenty


def test_the_winner_by_clicks_goes_to_the_rest_after_the_wait(organisation, inbox):
    for n in range(40):
        subscribed(organisation, f"m{n}@example.org")
    mailing = scheduled(organisation, ab_sample_percent=50, ab_wait_minutes=60)
    Variant.objects.create(mailing=mailing, letter="A", subject="Subject A")
    b = Variant.objects.create(mailing=mailing, letter="B", subject="Subject B")
    sending.mailing_start(mailing=mailing)

    assert drain_all() == 20  # the sample only
    subjects = sorted(str(m["Subject"]) for _, _, m, _ in inbox.messages)
    assert subjects == ["Subject A"] * 10 + ["Subject B"] * 10
    clicked = Recipient.objects.filter(variant=b)[:3]
    Recipient.objects.filter(pk__in=[r.pk for r in clicked]).update(
        first_clicked_at=timezone.now(), clicks=1
    )
    mailing.refresh_from_db()
    assert sending.mailing_ab_decide(mailing=mailing) is None  # still waiting

    later = mailing.started_at + timedelta(minutes=61)
    assert sending.mailing_ab_decide(mailing=mailing, now=later) == b

    mailing.refresh_from_db()
    assert mailing.state == Mailing.State.SENDING
    assert mailing.winner == b and mailing.ab_decided_at == later
    assert Recipient.objects.filter(variant=b).count() == 30
    assert drain_all() == 20
    rest = [str(m["Subject"]) for _, _, m, _ in inbox.messages[20:]]
    assert rest == ["Subject B"] * 20


def test_a_tie_goes_to_the_first_letter_and_signatures_can_decide(organisation):
    for n in range(10):
        subscribed(organisation, f"m{n}@example.org")
    mailing = scheduled(
        organisation, ab_sample_percent=100, ab_wait_minutes=0, ab_metric="signatures"
    )
    a = Variant.objects.create(mailing=mailing, letter="A", subject="A")
    Variant.objects.create(mailing=mailing, letter="B", subject="B")
    sending.mailing_start(mailing=mailing)
    mailing.refresh_from_db()
    assert sending.mailing_ab_decide(mailing=mailing) == a


def test_the_job_threads_send_transactional_jobs_before_any_recipient(organisation, monkeypatch):
    from jobs.management.commands import chorus_worker

    calls = []
    monkeypatch.setattr(chorus_worker, "jobs_drain", lambda **kw: calls.append("jobs") or 1)
    monkeypatch.setattr(chorus_worker, "drainers_run", lambda: calls.append("drain") or 0)
    command = chorus_worker.Command()
    command.running = True
    import threading

    command.stopping = threading.Event()

    def stop_after_two(*args, **kwargs):
        if len(calls) >= 2:
            command.running = False

    monkeypatch.setattr(chorus_worker, "close_old_connections", stop_after_two)
    command._run_jobs(0.01, False)
    assert set(calls) == {"jobs"}  # the ledger had work: no recipient was drained

    calls.clear()
    monkeypatch.setattr(chorus_worker, "jobs_drain", lambda **kw: calls.append("jobs") or 0)
    command.running = True
    command._run_jobs(0.01, False)
    assert calls[:2] == ["jobs", "drain"]
