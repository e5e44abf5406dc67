"""An owner erases a member on request from the member's page; axe finds nothing serious."""

import pytest
from playwright.sync_api import expect

from members.models import Member
from orgs.models import AuditEvent
from petitions.models import Signature
from tests.browser.conftest import staff_sign_in
from tests.browser.test_axe import Audit
from tests.browser.test_workspace_members import PASSWORD, _audit_both_sizes, _colleague, member

pytestmark = pytest.mark.browser
__all__ = ["member"]  # the fixture, shared


def test_an_owner_erases_a_member_on_request(open_page, member, shoot):
    audit = Audit()
    username, secret = _colleague("Owner")
    page = open_page()
    staff_sign_in(page, username=username, password=PASSWORD, secret=secret)

    page.goto(f"/staff/members/{member.pk}/")
    page.locator("summary", has_text="Erase this person’s data").click()
    expect(page.locator("form[action$='/erase/']")).to_contain_text(
        f"Erase Grace Hopper ({member.email})."
    )
    _audit_both_sizes(page, audit, "member with the erasure open")
    page.locator("summary", has_text="Erase this person’s data").click()
    page.locator("summary", has_text="Erase this person’s data").click()
    shoot(page, "erase-open")
    page.fill("#id_reason-erase", "Asked by email")
    page.get_by_role("button", name="Yes, erase").click()

    expect(page.locator(".ws-msg")).to_contain_text("Erased")
    expect(page.locator(".ws-lede")).not_to_contain_text("@")
    erased = Member.objects.get(pk=member.pk)
    assert erased.email == "" and erased.first_name == ""
    assert not Signature.objects.filter(email=member.email).exists()
    assert AuditEvent.objects.filter(action="erase", target=f"members.member:{member.pk}").exists()
    _audit_both_sizes(page, audit, "member after erasure")
    shoot(page, "erased")
    audit.assert_clean()
