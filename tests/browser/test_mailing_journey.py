"""A mailing from start to end, every part real: members imported from a CSV file by the
worker, a segment built in Chromium, the mailing composed, previewed and sent from the
workspace while the progress bar reaches 100 %, the messages received by an SMTP server
and read (headers, both parts, merge fields, DKIM), then what members do with them: one
press of List-Unsubscribe, a bounce piped to the inbound command, and a link followed to a
signature given with one press and counted for the mailing."""

import re
import subprocess
import time
from uuid import uuid4

import dkim
import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from mailings.models import Mailing, Recipient, Segment
from members.imports import member_import_create, member_import_run, member_import_start
from members.models import Member, MemberImport
from orgs.models import Organisation
from petitions.models import Petition, Signature
from tests.browser.conftest import DEMO_SLUG, PYTHON, REPO, staff_sign_in
from tests.browser.test_workspace_segments import PASSWORD, _campaigner

pytestmark = pytest.mark.browser

WORDING = "Email me about this and other campaigns of Open Faces."


def _wait_for(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.2)
    return value


@pytest.fixture
def imported(live_app):
    """Three members in Liechtenstein (the demo has none), imported from a CSV file."""
    organisation = Organisation.objects.current()
    tag = uuid4().hex[:8]
    people = [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Katherine", "Johnson")]
    emails = [f"{first.lower()}-{tag}@example.org" for first, _ in people]
    rows = ["email,first name,last name,country"]
    rows += [f"{e},{first},{last},LI" for e, (first, last) in zip(emails, people, strict=True)]
    owner = User.objects.filter(groups__name="Owner").first()
    member_import = member_import_create(
        organisation_id=organisation.pk,
        by=owner,
        data="\n".join(rows).encode(),
        original_name="supporters.csv",
        source="the Vaduz street stall",
        wording=WORDING,
    )
    # Run here rather than by the servers' worker: the file is in this process's data
    # directory, and the import itself is the same service either way.
    assert member_import_start(member_import=member_import, record_job=lambda pk: None)
    while member_import_run(import_pk=member_import.pk):
        pass
    assert MemberImport.objects.get(pk=member_import.pk).state == MemberImport.State.DONE
    members = [Member.objects.get(organisation=organisation, email=e) for e in emails]
    assert [m.status for m in members] == ["subscribed"] * 3
    return organisation, members


def test_a_mailing_goes_out_and_members_act_on_it(open_page, live_app, inbox, imported):
    organisation, members = imported
    petition = Petition.objects.get(slug=DEMO_SLUG)
    username, secret = _campaigner()
    page = open_page(viewport={"width": 1280, "height": 800})
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)

    # A segment: members in Liechtenstein.
    page.goto("/staff/mailings/segments/new/")
    page.select_option("#id_c-0-kind", "country_in")
    page.fill("#id_c-0-countries", "Liechtenstein")
    expect(page.locator("[data-count]")).to_have_text("3")
    segment_name = f"Liechtenstein {uuid4().hex[:4]}"
    page.fill("#id_name", segment_name)
    page.click("button[value=save]")
    expect(page.locator(".ws-msg")).to_contain_text("Saved the segment")

    # The mailing, previewed as it is typed.
    page.goto("/staff/mailings/new/")
    name = f"Scraping alert {uuid4().hex[:4]}"
    page.fill("#id_name", name)
    page.fill("#id_subject", "{{first_name|Friend}}, they are scraping our photos")
    page.fill("#id_preheader", "One click tells the network to stop it.")
    page.select_option("#id_petition", label=petition.title)
    page.select_option("#id_segment", label=segment_name)
    page.fill(
        "#id_body",
        "Hello {{first_name|friend}},\n\nA company is **copying our photos**.\n\n"
        "[Tell the network to stop it]({{petition_link}})",
    )
    frame = page.frame_locator("iframe[name=mc-preview]")
    expect(frame.locator("body")).to_contain_text("Hello friend,", timeout=15_000)
    page.click("text=Save draft")
    expect(page.locator(".ws-msg")).to_contain_text("Saved.")
    mailing = Mailing.objects.get(organisation=organisation, name=name)

    # Sent now, from the confirmation page; the progress bar follows the worker to 100 %.
    page.goto(f"/staff/mailings/{mailing.pk}/send/")
    send = page.get_by_role("button", name="Send to 3 members")
    expect(send).to_be_visible()
    send.click()
    expect(page.locator("#mc-bar")).to_have_attribute("value", "100", timeout=60_000)
    expect(page.locator('#mc-progress dd[data-k="left"]')).to_have_text("0")
    expect(page.locator(".ws-lede .mc-state")).to_have_text("Sent", timeout=30_000)

    # Each member got one message, personalised, signed, with its own return path.
    messages = {m.pk: inbox.wait_for(m.email, "they are scraping our photos") for m in members}
    recipients = {r.member_id: r for r in Recipient.objects.filter(mailing=mailing)}
    assert len(recipients) == 3 and {r.state for r in recipients.values()} == {"done"}
    for member in members:
        message = messages[member.pk]
        assert len(inbox.to(member.email, "they are scraping our photos")) == 1
        assert message["Subject"] == f"{member.first_name}, they are scraping our photos"
        assert message["From"].addresses[0].addr_spec == "petitions@chorus.invalid"
        assert message["Message-ID"].endswith("@chorus.invalid>")
        assert message["Date"]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
        assert unsubscribe[0].startswith(f"{live_app.url}/m/u/")
        assert unsubscribe[1].startswith("mailto:unsubscribe+")
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert f"Hello {member.first_name}," in text
        assert f"Hello {member.first_name}," in html
        assert "<strong>copying our photos</strong>" in html
        assert organisation.postal_address.splitlines()[0] in text
        mail_from, raw = inbox.envelopes[str(message["Message-ID"])]
        assert mail_from.startswith("bounces+") and mail_from.endswith("@chorus.invalid")
        assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: live_app.dkim_record)
    returns = {inbox.envelopes[str(messages[m.pk]["Message-ID"])][0] for m in members}
    assert len(returns) == 3

    # Ada presses "unsubscribe" in her mail program: one POST, no login, at once.
    ada, grace, katherine = members
    one_click = re.findall(r"<(https?://[^>]+)>", str(messages[ada.pk]["List-Unsubscribe"]))[0]
    mail_program = open_page().request  # no cookies, no session: a mail provider's POST
    response = mail_program.post(
        one_click,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    ada.refresh_from_db()
    assert ada.status == "unsubscribed"
    assert ada.consents.filter(action="withdrawn", source_kind="mailing").exists()

    # Grace's mailbox is gone: the bounce comes back to her return path and is piped in.
    grace_return = inbox.envelopes[str(messages[grace.pk]["Message-ID"])][0]
    dsn = _dsn(to=grace_return, failed=grace.email, message_id=messages[grace.pk]["Message-ID"])
    piped = subprocess.run(
        [PYTHON, "manage.py", "chorus_mail_inbound", "--recipient", grace_return],
        input=dsn,
        cwd=REPO,
        env=live_app.env,
        capture_output=True,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr.decode()
    grace.refresh_from_db()
    assert grace.status == "bounced"
    assert Recipient.objects.get(mailing=mailing, member=grace).bounce_kind == "hard"

    # Katherine follows the link, is recognised, and signs with one press.
    link = re.search(
        r'href="([^"]+/m/c/[^"]+/0/)"',
        messages[katherine.pk].get_body(preferencelist=("html",)).get_content(),
    ).group(1)
    reader = open_page(viewport={"width": 390, "height": 844})
    reader.goto(link)
    expect(reader.locator("[data-recognised]")).to_contain_text("Signing as Katherine.")
    with reader.expect_navigation():
        reader.get_by_role("button", name="Sign now").click()
    expect(reader.locator("h1")).to_have_text("Your signature is confirmed")
    signature = Signature.objects.get(petition=petition, email=katherine.email)
    assert signature.state == "confirmed" and signature.channel == "mailing"
    recipient = Recipient.objects.get(mailing=mailing, member=katherine)
    assert recipient.signature_id == signature.pk and recipient.first_clicked_at
    time.sleep(2)  # no confirmation email follows a signature from a proven address
    assert inbox.to(katherine.email, "onfirm") == []

    # The report counts what happened.
    page.goto(f"/staff/mailings/{mailing.pk}/")
    report = page.locator("main")
    for figure in ("Unsubscribed", "Bounced", "Signatures"):
        expect(report).to_contain_text(figure)
    assert Segment.objects.filter(name=segment_name).exists()


def _dsn(*, to: str, failed: str, message_id: str) -> bytes:
    """A delivery status notification as a receiving server sends one (RFC 3464)."""
    return (
        "From: MAILER-DAEMON@mx.example.org\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe mailbox does not exist.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 No such user here\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {message_id}\r\nTo: {failed}\r\n"
        "--b1--\r\n"
    ).encode()
