"""The workspace's Mailings pages: who may compose, send and follow; hostile input on the
compose form; the preview and the test sent to oneself (through a real SMTP server)."""

import contextlib
import email
import socket
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone

from lib.mail import mail_connection_close
from mailings.models import Mailing, MailingEvent, Recipient, Segment, Variant
from staff.views import mailings as mailing_views
from tests.factories import (
    MailingFactory,
    MemberFactory,
    OrganisationFactory,
    PetitionFactory,
    RecipientFactory,
)

pytestmark = pytest.mark.django_db
State = Mailing.State
SENDER = "petitions@chorus.invalid"
NEW = "/staff/mailings/new/"


def url(mailing, tail="") -> str:
    return f"/staff/mailings/{mailing.pk}/{tail}"


@pytest.fixture
def segment(organisation):
    return Segment.objects.create(organisation=organisation, name="Supporters", definition={})


@pytest.fixture
def draft(organisation, segment, petition):
    return MailingFactory(
        organisation=organisation,
        segment=segment,
        petition=petition,
        name="December appeal",
        body="Hello {{first_name|friend}},\n\n[Sign the petition]({{petition_link}})",
    )


def form(**overrides) -> dict:
    return {
        "name": "December appeal",
        "subject": "They are scraping our photos",
        "preheader": "Two minutes",
        "from_name": "Open Faces",
        "from_address": SENDER,
        "reply_to": "",
        "petition": "",
        "segment": "",
        "body": "Hello {{first_name|friend}},\n\nPlease help.",
        "variant_a": "",
        "variant_b": "",
        "variant_c": "",
        "variant_d": "",
        "ab_sample_percent": "20",
        "ab_wait_minutes": "240",
        "ab_metric": "clicks",
    } | overrides


# ---- Who may do what ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_client", "campaigner_client"])
def test_owners_and_campaigners_compose_and_save_a_draft(request, organisation, segment, who):
    client = request.getfixturevalue(who)

    assert client.get(NEW).status_code == 200
    response = client.post(NEW, form(segment=segment.pk))

    mailing = Mailing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(mailing, "edit/")
    assert (mailing.state, mailing.segment, mailing.subject) == (
        State.DRAFT,
        segment,
        "They are scraping our photos",
    )


@pytest.mark.parametrize("who", ["owner_client", "campaigner_client"])
def test_owners_and_campaigners_send_now(request, draft, who):
    client = request.getfixturevalue(who)

    assert client.get(url(draft, "send/")).status_code == 200
    response = client.post(url(draft, "send/"), {"when": "now"})

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.state == State.SCHEDULED
    assert draft.scheduled_at <= timezone.now()


def test_a_campaigner_schedules_for_later(campaigner_client, draft):
    response = campaigner_client.post(
        url(draft, "send/"), {"when": "later", "at": "2099-12-24T09:30"}
    )

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.state == State.SCHEDULED
    assert draft.scheduled_at.year == 2099


def test_a_time_in_the_past_is_refused_on_the_confirmation_page(campaigner_client, draft):
    response = campaigner_client.post(
        url(draft, "send/"), {"when": "later", "at": "2001-01-01T09:00"}
    )

    assert response.status_code == 400
    assert "That time has passed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_the_confirmation_says_how_many_members_will_receive_it(
    campaigner_client, draft, monkeypatch
):
    monkeypatch.setattr(mailing_views, "_segment_size", lambda mailing: 1234)

    page = campaigner_client.get(url(draft, "send/")).content.decode()

    assert "Members who will receive it" in page
    assert "1234" in page
    assert "Send to 1234 members" in page


def test_the_confirmation_names_what_is_missing_and_offers_no_send(campaigner_client, draft):
    draft.segment = None
    draft.save()

    page = campaigner_client.get(url(draft, "send/")).content.decode()
    response = campaigner_client.post(url(draft, "send/"), {"when": "now"})

    assert "Choose the segment it goes to." in page
    assert 'name="when"' not in page
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_an_analyst_sees_the_list_and_the_mailing_but_cannot_change_or_send(analyst_client, draft):
    assert analyst_client.get("/staff/mailings/").status_code == 200
    detail = analyst_client.get(url(draft))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert url(draft, "send/") not in page and url(draft, "edit/") not in page

    assert analyst_client.get(NEW).status_code == 403
    assert analyst_client.post(NEW, form()).status_code == 403
    assert analyst_client.get(url(draft, "edit/")).status_code == 403
    assert analyst_client.post(url(draft, "edit/"), form(subject="Changed")).status_code == 403
    assert analyst_client.post(url(draft, "send/"), {"when": "now"}).status_code == 403
    assert analyst_client.post(url(draft, "test/")).status_code == 403
    assert analyst_client.post(url(draft, "cancel/")).status_code == 403

    draft.refresh_from_db()
    assert (draft.state, draft.subject) == (State.DRAFT, "They are scraping our photos")
    assert Mailing.objects.count() == 1


@pytest.mark.parametrize("action", ["pause/", "resume/", "retry/", "cancel/", "unschedule/"])
def test_an_analyst_cannot_pause_resume_retry_cancel_or_unschedule(analyst_client, draft, action):
    draft.state = State.SENDING
    draft.save()

    assert analyst_client.post(url(draft, action)).status_code == 403

    draft.refresh_from_db()
    assert draft.state == State.SENDING


def test_a_signed_out_visitor_is_sent_to_sign_in(public_client, draft):
    sign_in = reverse("staff_sign_in")
    paths = ["/staff/mailings/", NEW, url(draft), url(draft, "send/"), url(draft, "progress.json")]
    for path in paths:
        response = public_client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(sign_in + "?next=")
    assert public_client.post(url(draft, "cancel/")).status_code == 302
    assert Mailing.objects.get().state == State.DRAFT


def test_a_mailing_of_another_organisation_is_not_found(campaigner_client, organisation):
    theirs = MailingFactory(organisation=OrganisationFactory(name="Other"))

    assert campaigner_client.get(url(theirs)).status_code == 404
    assert campaigner_client.post(url(theirs, "cancel/")).status_code == 404


# ---- Pause, resume, cancel, retry through the pages --------------------------------------


def test_a_campaigner_pauses_resumes_and_cancels(campaigner_client, draft):
    draft.state = State.SENDING
    draft.save()
    RecipientFactory(mailing=draft)

    campaigner_client.post(url(draft, "pause/"))
    assert Mailing.objects.get(pk=draft.pk).state == State.PAUSED
    campaigner_client.post(url(draft, "resume/"))
    assert Mailing.objects.get(pk=draft.pk).state == State.SENDING
    confirm = campaigner_client.get(url(draft, "cancel/"))
    assert "cannot be undone" in confirm.content.decode()
    assert Mailing.objects.get(pk=draft.pk).state == State.SENDING  # asking is not doing
    campaigner_client.post(url(draft, "cancel/"))

    assert Mailing.objects.get(pk=draft.pk).state == State.CANCELLED
    assert Recipient.objects.get().last_error == "cancelled"
    assert list(
        MailingEvent.objects.filter(mailing=draft).order_by("id").values_list("action", flat=True)
    ) == ["paused", "resumed", "cancelled"]


def test_a_refused_transition_says_why(campaigner_client, draft):
    response = campaigner_client.post(url(draft, "pause/"), follow=True)

    assert "only a mailing that is sending can be paused" in response.content.decode()


def test_retry_failed_through_the_page(campaigner_client, draft):
    draft.state = State.SENT
    draft.save()
    RecipientFactory(mailing=draft, state=Recipient.State.FAILED, last_error="421 try later")

    response = campaigner_client.post(url(draft, "retry/"), follow=True)

    assert "1 failed recipients will be tried again" in response.content.decode()
    assert Recipient.objects.get().state == Recipient.State.DUE


def test_a_started_mailing_cannot_be_edited_through_the_page(campaigner_client, draft):
    draft.state = State.SENDING
    draft.save()

    response = campaigner_client.post(url(draft, "edit/"), form(subject="Changed"))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.subject != "Changed"


# ---- Hostile input on the compose form ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject": "Hello\r\nBcc: everyone@example.org"}, "Please keep it on one line."),
        ({"from_name": "Open Faces\r\nBcc: x@example.org"}, "Please keep it on one line."),
        ({"name": "x" * 201}, "Keep the name to 200 characters."),
        ({"subject": "x" * 201}, "Keep the subject to 200 characters."),
        ({"body": "x" * 100_001}, "Keep the body to 100,000 characters."),
        ({"from_address": "boss@elsewhere.example"}, "Choose the from address from the list."),
        ({"body": "Dear {{surname}}"}, "is not a merge field"),
        ({"subject": "Hi {{ name }}"}, "is not a merge field"),
        ({"body": "Sign: {{petition_link|x}}"}, "Only {{first_name}} takes a fallback"),
        ({"variant_a": "Only one subject"}, "at least two subjects"),
        ({"variant_a": "Same", "variant_b": "Same"}, "must differ"),
        ({"ab_sample_percent": "90"}, "at most 50 percent"),
        ({"ab_wait_minutes": "5"}, "Select a valid choice"),
        ({"reply_to": "not-an-address\r\nBcc: x@y.z"}, "Enter an email address"),
        ({"name": ""}, "Write the name."),
        ({"body": "Sign [here]({{petition_link}})"}, "choose its petition"),
        ({"subject": "Hi\u202eevil"}, "invisible or control characters"),
    ],
)
def test_hostile_or_broken_input_is_refused_with_a_message_and_nothing_stored(
    campaigner_client, organisation, overrides, message
):
    response = campaigner_client.post(NEW, form(**overrides))

    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert not Mailing.objects.exists()
    assert not Variant.objects.exists()


def test_a_petition_or_segment_of_another_organisation_is_refused(campaigner_client, organisation):
    other = OrganisationFactory(name="Other")
    their_petition = PetitionFactory(organisation=other)
    their_segment = Segment.objects.create(organisation=other, name="Theirs")

    for overrides in ({"petition": their_petition.pk}, {"segment": their_segment.pk}):
        response = campaigner_client.post(NEW, form(**overrides))
        assert response.status_code == 400
        assert "this organisation" in response.content.decode()
    assert not Mailing.objects.exists()


def test_script_tags_are_kept_as_text_and_never_run(campaigner_client, organisation):
    response = campaigner_client.post(
        NEW,
        form(
            name="<script>alert('n')</script>",
            subject="<script>alert('s')</script>",
            body="Hi <script>alert('b')</script> **there**",
        ),
    )
    assert response.status_code == 302
    mailing = Mailing.objects.get()

    listing = campaigner_client.get("/staff/mailings/").content.decode()
    detail = campaigner_client.get(url(mailing)).content.decode()
    preview = campaigner_client.get(url(mailing, "preview/")).content.decode()

    assert "<script>alert" not in listing and "<script>alert" not in detail
    assert "&lt;script&gt;alert" in listing
    assert "<script" not in preview
    assert "<strong>there</strong>" in preview


def test_formula_like_text_is_kept_as_typed(campaigner_client, organisation):
    response = campaigner_client.post(
        NEW, form(name='=HYPERLINK("http://x")', subject="+1 for us")
    )

    assert response.status_code == 302
    mailing = Mailing.objects.get()
    assert (mailing.name, mailing.subject) == ('=HYPERLINK("http://x")', "+1 for us")


def test_a_subject_line_test_is_stored_with_its_settings(campaigner_client, organisation):
    campaigner_client.post(
        NEW,
        form(
            variant_a="First",
            variant_b="Second",
            variant_c="Third",
            ab_sample_percent="10",
            ab_wait_minutes="60",
            ab_metric="signatures",
        ),
    )

    mailing = Mailing.objects.get()
    assert [(v.letter, v.subject) for v in mailing.variants.all()] == [
        ("A", "First"),
        ("B", "Second"),
        ("C", "Third"),
    ]
    assert (mailing.ab_sample_percent, mailing.ab_wait_minutes, mailing.ab_metric) == (
        10,
        60,
        "signatures",
    )


def test_the_edit_page_shows_the_saved_variants(campaigner_client, draft):
    Variant.objects.create(mailing=draft, letter="A", subject="Apples")
    Variant.objects.create(mailing=draft, letter="B", subject="Bananas")

    page = campaigner_client.get(url(draft, "edit/")).content.decode()

    assert 'value="Apples"' in page and 'value="Bananas"' in page


def test_the_from_name_starts_as_the_organisations_sender_name(campaigner_client, organisation):
    organisation.sender_name = "Open Faces Team"
    organisation.save()

    page = campaigner_client.get(NEW).content.decode()

    assert 'value="Open Faces Team"' in page


# ---- Preview -----------------------------------------------------------------------------


def test_the_live_preview_renders_the_form_as_a_chosen_member(campaigner_client, organisation):
    member = MemberFactory(organisation=organisation, email="ada@example.org", first_name="Ada")

    response = campaigner_client.post(
        "/staff/mailings/preview/",
        form(body="Hello {{first_name|friend}}, **read this**.", member="ADA@example.org"),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Hello Ada, <strong>read this</strong>." in html
    assert "<b>Subject:</b> They are scraping our photos" in html
    assert organisation.postal_address.splitlines()[0] in html
    assert "sandbox" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert not Mailing.objects.exists()
    assert member.pk


def test_the_preview_uses_the_fallback_without_a_member(campaigner_client, organisation):
    html = campaigner_client.post("/staff/mailings/preview/", form()).content.decode()

    assert "Hello friend," in html


def test_the_preview_names_merge_field_errors(campaigner_client, organisation):
    html = campaigner_client.post(
        "/staff/mailings/preview/", form(body="Hi {{nickname}}")
    ).content.decode()

    assert "is not a merge field" in html


def test_a_member_of_another_organisation_cannot_be_previewed_as(campaigner_client, organisation):
    MemberFactory(
        organisation=OrganisationFactory(name="Other"),
        email="them@example.org",
        first_name="Zedekiah-Outsider",
    )

    html = campaigner_client.post(
        "/staff/mailings/preview/", form(member="them@example.org")
    ).content.decode()

    assert "Zedekiah-Outsider" not in html
    assert "No member has that email address or number." in html


def test_the_preview_endpoint_takes_only_posts(campaigner_client, organisation):
    assert campaigner_client.get("/staff/mailings/preview/").status_code == 405


def test_the_saved_preview_as_a_member_by_number(analyst_client, draft, organisation):
    member = MemberFactory(organisation=organisation, first_name="Grace")

    html = analyst_client.get(url(draft, f"preview/?member={member.pk}")).content.decode()

    assert "Hello Grace," in html


# ---- A test to oneself, through a real SMTP server ---------------------------------------


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    mail_connection_close()
    with contextlib.suppress(AssertionError):
        controller.stop()


def test_a_test_send_arrives_in_my_inbox_marked_as_a_test(
    smtp, campaigner, campaigner_client, draft
):
    response = campaigner_client.post(url(draft, "test/"), follow=True)

    assert "A test is on its way" in response.content.decode()
    [(to, raw)] = smtp.messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert to == [campaigner.email]
    assert message["Subject"] == "[Test] They are scraping our photos"
    assert message["From"] == f"Open Faces <{SENDER}>"
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "Hello friend," in text and "Hello friend," in html
    assert not Recipient.objects.exists()
    assert MailingEvent.objects.filter(mailing=draft, action="test sent").count() == 1


def test_test_sends_are_rate_limited(smtp, campaigner_client, draft):
    for _ in range(mailing_views.TESTS_PER_HOUR):
        campaigner_client.post(url(draft, "test/"))

    response = campaigner_client.post(url(draft, "test/"), follow=True)

    assert "tests this hour" in response.content.decode()
    assert len(smtp.messages) == mailing_views.TESTS_PER_HOUR


def test_a_test_send_of_a_broken_mailing_is_refused(smtp, campaigner_client, draft):
    Mailing.objects.filter(pk=draft.pk).update(body="Hi {{bogus}}")

    response = campaigner_client.post(url(draft, "test/"), follow=True)

    assert "is not a merge field" in response.content.decode()
    assert smtp.messages == []


# ---- The list and the detail page --------------------------------------------------------


def test_the_list_shows_status_segment_recipients_and_figures(analyst_client, draft):
    draft.state = State.SENDING
    draft.recipients_total = 3
    draft.save()
    now = timezone.now()
    RecipientFactory(mailing=draft, state="done", sent_at=now, first_clicked_at=now)
    RecipientFactory(mailing=draft, state="done", sent_at=now)
    RecipientFactory(mailing=draft)

    page = analyst_client.get("/staff/mailings/").content.decode()

    assert "December appeal" in page and "Supporters" in page and "Sending" in page
    assert '<td class="num" data-label="Sent">2</td>' in page
    assert '<td class="num" data-label="Unique clicks">1</td>' in page


def test_the_progress_endpoint_gives_the_live_figures(analyst_client, draft):
    draft.state = State.SENDING
    draft.started_at = timezone.now() - timedelta(minutes=2)
    draft.recipients_total = 4
    draft.save()
    now = timezone.now()
    RecipientFactory.create_batch(2, mailing=draft, state="done", sent_at=now)
    RecipientFactory(mailing=draft, state="failed", last_error="550 unknown user")
    RecipientFactory(mailing=draft)

    progress = analyst_client.get(url(draft, "progress.json")).json()

    assert progress["sent"] == 2 and progress["failed"] == 1 and progress["left"] == 1
    assert progress["total"] == 4 and progress["percent"] == 75
    assert progress["rate"] == 0.4  # 2 in the last 5 minutes
    assert progress["running"] is True


def test_the_detail_page_lists_failures_in_keyset_pages(analyst_client, draft, monkeypatch):
    monkeypatch.setattr(mailing_views, "FAILURES_PER_PAGE", 2)
    draft.state = State.SENT
    draft.save()
    failed = [
        RecipientFactory(mailing=draft, state="failed", last_error=f"550 reason {n}")
        for n in range(3)
    ]

    first = analyst_client.get(url(draft)).content.decode()
    older = analyst_client.get(url(draft, f"?older={failed[1].pk}")).content.decode()

    assert "550 reason 2" in first and "550 reason 1" in first and "550 reason 0" not in first
    assert f"?older={failed[1].pk}" in first
    assert "550 reason 0" in older and "550 reason 2" not in older
    assert f"/staff/members/{failed[0].member_id}/" in older
