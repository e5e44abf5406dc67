"""Each staff action on personal data or trust writes exactly one audit row: the right
person, action and target, and nothing of the personal data it acted on."""

import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone

from mailings import sending
from mailings.models import Mailing, MailingEvent
from members.imports import (
    member_import_cancel,
    member_import_create,
    member_import_run,
    member_import_start,
)
from members.models import ConsentRecord, Member, Suppression
from members.services import member_suppress, member_unsubscribe
from orgs.audit import audit_target
from orgs.models import AuditEvent
from orgs.people import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    staff_deactivate,
    staff_reactivate,
    staff_role_set,
)
from orgs.roles import roles_ensure
from petitions.services import (
    petition_close,
    petition_declare_victory,
    petition_publish,
    petition_reopen,
)
from tests.factories import MailingFactory, MemberFactory, PetitionFactory, UserFactory
from tests.workspace.tabs import confirmed, tab_url

pytestmark = pytest.mark.django_db

SIGNER = {"email": "zoe.quill@example.org", "first_name": "Zoë", "last_name": "Quillfeather"}


class NewRows:
    """The audit rows written inside the block."""

    def __enter__(self):
        self.last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return self

    def __exit__(self, *exc):
        self.rows = list(AuditEvent.objects.filter(id__gt=self.last).order_by("id"))

    def one(self) -> AuditEvent:
        assert len(self.rows) == 1, [(r.action, r.summary) for r in self.rows]
        return self.rows[0]


def _row_text(event: AuditEvent) -> str:
    columns = [event.actor_name, event.action, event.target, event.summary]
    return " ".join(columns) + json.dumps(event.detail, ensure_ascii=False)


def assert_nothing_personal(event: AuditEvent, *values: str) -> None:
    text = _row_text(event).lower()
    for value in values or SIGNER.values():
        assert value.lower() not in text, f"{value!r} in the audit row: {text}"


# --- Exports ---------------------------------------------------------------------------------


def test_a_signatures_export_writes_one_row_with_what_and_scope_and_no_rows(
    owner_client, owner, petition
):
    confirmed(petition, 1, **SIGNER)
    confirmed(petition, 1)

    with NewRows() as new:
        response = owner_client.post(tab_url(petition, "export/"), {"scope": "confirmed"})
        b"".join(response.streaming_content)

    event = new.one()
    assert (event.actor, event.action, event.target.split(":")[0]) == (
        owner,
        "export",
        "orgs.exportrecord",
    )
    assert petition.title in event.summary
    assert event.detail["scope"].startswith(f"petition id {petition.pk}")
    assert_nothing_personal(event)


def test_a_members_export_searched_by_address_keeps_the_search_out_of_the_log(
    owner_client, owner, organisation
):
    MemberFactory(organisation=organisation, **SIGNER)

    with NewRows() as new:
        response = owner_client.get("/staff/members/export/", {"q": SIGNER["email"]})
        assert SIGNER["email"] in b"".join(response.streaming_content).decode()

    event = new.one()
    assert (event.actor, event.action) == (owner, "export")
    assert "q=(a search)" in event.detail["scope"]
    assert_nothing_personal(event, "zoe.quill", "example.org", "Quillfeather")


def test_a_refused_export_writes_nothing(campaigner_client, petition):
    with NewRows() as new:
        campaigner_client.post(tab_url(petition, "export/"), {"scope": "confirmed"})
    assert new.rows == []


# --- Member imports --------------------------------------------------------------------------

CSV = f"email,first_name,last_name\n{SIGNER['email']},Zoë,Quillfeather\nada@example.org,Ada,L\n"


@pytest.fixture
def uploaded(settings, tmp_path, organisation, owner):
    settings.MEMBER_IMPORT_DIR = tmp_path / "imports"
    return member_import_create(
        organisation_id=organisation.pk,
        by=owner,
        data=CSV.encode(),
        original_name="zoe-quillfeather-contacts.csv",
        source="Spring fair sheet",
        wording="Yes, email me",
    )


def test_confirming_an_import_and_its_result_write_one_row_each(uploaded, campaigner):
    with NewRows() as confirming:
        member_import_start(member_import=uploaded, record_job=lambda pk: None, by=campaigner)
    with NewRows() as running:
        while member_import_run(import_pk=uploaded.pk):
            pass

    started, finished = confirming.one(), running.one()
    assert (started.actor, started.action, started.target) == (
        campaigner,
        "import",
        audit_target(uploaded),
    )
    assert started.detail["rows"] == 2
    assert (finished.actor, finished.action, finished.target) == (
        None,
        "import",
        audit_target(uploaded),
    )
    assert (finished.detail["state"], finished.detail["created"]) == ("done", 2)
    for event in (started, finished):
        assert_nothing_personal(event, *SIGNER.values(), "zoe-quillfeather-contacts")


def test_stopping_a_running_import_is_its_result_and_a_preview_dropped_is_not(
    uploaded, owner, organisation
):
    member_import_start(member_import=uploaded, record_job=lambda pk: None, by=owner)
    with NewRows() as stopping:
        member_import_cancel(member_import=uploaded, by=owner)
    assert (stopping.one().actor, stopping.one().detail["state"]) == (owner, "cancelled")

    preview = member_import_create(
        organisation_id=organisation.pk,
        by=owner,
        data=CSV.encode(),
        original_name="x.csv",
        source="x",
        wording="",
    )
    with NewRows() as dropping:
        member_import_cancel(member_import=preview, by=owner)
    assert dropping.rows == []


# --- Roles, accounts, invitations ------------------------------------------------------------


def test_a_role_change_is_one_row_however_many_group_changes_it_takes(owner, campaigner):
    with NewRows() as new:
        staff_role_set(user=campaigner, role="Analyst", by=owner)

    event = new.one()
    assert (event.actor, event.action, event.target) == (
        owner,
        "role",
        f"auth.user:{campaigner.pk}",
    )
    assert event.detail == {"before": "Campaigner", "after": "Analyst"}


def test_deactivating_and_reactivating_write_one_row_each(owner, campaigner):
    with NewRows() as off:
        staff_deactivate(user=campaigner, by=owner)
    with NewRows() as on:
        staff_reactivate(user=campaigner, by=owner)

    assert off.one().summary == "Account deactivated"
    assert on.one().summary == "Account reactivated"
    assert {off.one().target, on.one().target} == {f"auth.user:{campaigner.pk}"}


def test_an_invitation_its_withdrawal_and_its_acceptance_name_no_address(owner):
    with NewRows() as inviting:
        invitation = invitation_create(email="zoe.quill@example.org", role="Analyst", by=owner)
    with NewRows() as withdrawing:
        invitation_revoke(invitation=invitation, by=owner)
    again = invitation_create(email="zoe.quill@example.org", role="Campaigner", by=owner)
    with NewRows() as accepting:
        user = invitation_accept(
            invitation=again,
            username="zq",
            password="a long and unusual passphrase 42",
            first_name="Zoë",
            last_name="Quillfeather",
        )

    assert (inviting.one().actor, inviting.one().target) == (owner, audit_target(invitation))
    assert withdrawing.one().target == audit_target(invitation)
    assert (accepting.one().actor, accepting.one().target) == (user, audit_target(user))
    assert accepting.one().detail["role"] == "Campaigner"
    for event in (inviting.one(), withdrawing.one(), accepting.one()):
        assert_nothing_personal(event)


def test_roles_set_again_unchanged_write_nothing_and_a_changed_role_one_row(roles):
    with NewRows() as unchanged:
        roles_ensure()
    assert unchanged.rows == []

    Group.objects.get(name="Analyst").permissions.clear()
    with NewRows() as restored:
        roles_ensure()
    event = restored.one()
    assert (event.actor, event.action) == (None, "role")
    assert event.summary.startswith("Role “Analyst” given its built-in permissions")


# --- Changes made outside Chorus's services --------------------------------------------------


def test_a_group_given_in_a_shell_is_recorded_with_nobody_known(roles):
    user = UserFactory(username="quiet")
    with NewRows() as new:
        user.groups.add(Group.objects.get(name="Owner"))

    event = new.one()
    assert (event.actor, event.action, event.target) == (None, "role", f"auth.user:{user.pk}")
    assert event.detail["groups_added"] == ["Owner"]
    assert event.detail["via"] == "outside the workspace and the admin"


def test_a_group_given_from_the_groups_side_and_a_permission_are_recorded(roles):
    user = UserFactory(username="quiet")
    export = Permission.objects.get(codename="export_personal_data")
    with NewRows() as new:
        Group.objects.get(name="Analyst").user_set.add(user)
        user.user_permissions.add(export)
        Group.objects.get(name="Analyst").permissions.add(export)

    assert [e.detail.get("groups_added") for e in new.rows[:1]] == [["Analyst"]]
    assert new.rows[1].detail["permissions_added"] == ["orgs.export_personal_data"]
    assert new.rows[2].target == audit_target(Group.objects.get(name="Analyst"))
    assert len(new.rows) == 3


def test_a_superuser_flag_set_anywhere_is_recorded_and_a_sign_in_is_not():
    user = UserFactory(username="quiet")
    with NewRows() as new:
        user.is_superuser = True
        user.save()
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])

    assert new.one().detail["flags"] == {"is_superuser": True}


def test_the_admin_records_one_row_per_account_naming_who_changed_it(roles):
    root = UserFactory(username="root", is_superuser=True)
    from django.test import Client

    from tests.conftest import staff_login

    client = staff_login(Client(), root)
    target = UserFactory(username="quiet", role="Analyst")
    owner_group = Group.objects.get(name="Owner")

    with NewRows() as new:
        response = client.post(
            f"/admin/auth/user/{target.pk}/change/",
            {
                "username": "quiet",
                "email": target.email,
                "is_active": "on",
                "is_staff": "on",
                "is_superuser": "on",
                "groups": [owner_group.pk],
                "date_joined_0": "2026-01-01",
                "date_joined_1": "00:00:00",
                "initial-date_joined_0": "2026-01-01",
                "initial-date_joined_1": "00:00:00",
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    event = new.one()
    assert (event.actor, event.action, event.target) == (root, "role", f"auth.user:{target.pk}")
    assert event.detail["groups_added"] == ["Owner"]
    assert event.detail["groups_removed"] == ["Analyst"]
    assert event.detail["flags"] == {"is_superuser": True}
    assert event.detail["via"] == "the Django admin"


def test_the_admin_records_a_groups_permissions_changed(roles):
    root = UserFactory(username="root", is_superuser=True)
    from django.test import Client

    from tests.conftest import staff_login

    client = staff_login(Client(), root)
    analyst = Group.objects.get(name="Analyst")
    export = Permission.objects.get(codename="export_personal_data")
    kept = list(analyst.permissions.values_list("pk", flat=True))

    with NewRows() as new:
        response = client.post(
            f"/admin/auth/group/{analyst.pk}/change/",
            {"name": "Analyst", "permissions": [*kept, export.pk]},
        )

    assert response.status_code == 302
    event = new.one()
    assert (event.actor, event.target) == (root, audit_target(analyst))
    assert event.detail["permissions_added"] == ["orgs.export_personal_data"]


# --- Two-factor resets -----------------------------------------------------------------------


def test_the_reset_command_writes_one_row_naming_the_operator_and_no_one_signed_in(owner):
    with NewRows() as new:
        call_command("chorus_reset_2fa", owner.username, stdout=io.StringIO())

    event = new.one()
    assert (event.actor, event.action, event.target) == (
        None,
        "2fa_reset",
        f"auth.user:{owner.pk}",
    )
    assert event.detail["operator"].startswith("chorus_reset_2fa run by ")


# --- Petitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "action"),
    [
        ([petition_publish], "publish"),
        ([petition_publish, petition_close], "close"),
        ([petition_publish, petition_close, petition_reopen], "reopen"),
        ([petition_publish, petition_declare_victory], "victory"),
    ],
)
def test_each_status_step_writes_one_row(campaigner, organisation, steps, action):
    petition = PetitionFactory(organisation=organisation, status="draft", slug="a-draft")
    for step in steps[:-1]:
        step(petition=petition, by=campaigner)

    with NewRows() as new:
        steps[-1](petition=petition, by=campaigner)

    event = new.one()
    assert (event.actor, event.action, event.target) == (
        campaigner,
        action,
        f"petitions.petition:{petition.pk}",
    )


def test_a_refused_step_writes_nothing(campaigner, petition):
    with NewRows() as new, pytest.raises(ValueError):
        petition_reopen(petition=petition, by=campaigner)
    assert new.rows == []


# --- Subscriptions ---------------------------------------------------------------------------


def test_staff_unsubscribing_a_member_writes_one_row_without_them_in_it(owner, organisation):
    member = MemberFactory(organisation=organisation, status=Member.Status.SUBSCRIBED, **SIGNER)

    with NewRows() as new:
        member_unsubscribe(
            member=member,
            source=ConsentRecord.SourceKind.STAFF,
            reason="Zoë Quillfeather asked by email",
            by=owner,
        )

    event = new.one()
    assert (event.actor, event.action, event.target) == (
        owner,
        "subscription",
        audit_target(member),
    )
    assert event.detail == {"before": "subscribed", "after": "unsubscribed"}
    assert_nothing_personal(event)


def test_a_person_unsubscribing_themselves_is_not_a_staff_action(organisation):
    member = MemberFactory(organisation=organisation, status=Member.Status.SUBSCRIBED)
    with NewRows() as new:
        member_unsubscribe(member=member, source=ConsentRecord.SourceKind.PAGE, reason="link")
    assert new.rows == []


def test_staff_suppressing_writes_one_row_and_a_bounce_none(owner, organisation):
    member = MemberFactory(organisation=organisation, status=Member.Status.SUBSCRIBED, **SIGNER)
    bounced = MemberFactory(organisation=organisation, status=Member.Status.SUBSCRIBED)

    with NewRows() as staff:
        member_suppress(
            organisation_id=organisation.pk,
            email_key=member.email_key,
            reason=Suppression.Reason.STAFF,
            note="Zoë Quillfeather asked us",
            by=owner,
        )
    with NewRows() as bounce:
        member_suppress(
            organisation_id=organisation.pk, email_key=bounced.email_key, reason="bounced"
        )

    assert (staff.one().actor, staff.one().target) == (owner, audit_target(member))
    assert_nothing_personal(staff.one())
    assert bounce.rows == []


# --- Mailings --------------------------------------------------------------------------------


def test_a_send_starting_writes_one_row_by_whoever_scheduled_it_with_the_count(
    campaigner, organisation
):
    for _ in range(3):
        MemberFactory(organisation=organisation, status=Member.Status.SUBSCRIBED)
    mailing = MailingFactory(
        organisation=organisation,
        petition=PetitionFactory(organisation=organisation),
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now() - timedelta(seconds=1),
    )
    MailingEvent.objects.create(mailing=mailing, by=campaigner, action="scheduled")

    with NewRows() as new:
        assert sending.mailing_start(mailing=mailing)

    event = new.one()
    assert (event.actor, event.action, event.target) == (
        campaigner,
        "mailing_send",
        audit_target(mailing),
    )
    assert event.detail["recipients"] == 3


def test_removing_groups_an_account_never_held_names_only_those_it_held(roles):
    user = UserFactory(username="quiet", role="Analyst")
    with NewRows() as new:
        user.groups.remove(*Group.objects.all())

    assert new.one().detail["groups_removed"] == ["Analyst"]


def test_deleting_a_group_or_a_staff_account_that_never_acted_is_recorded(roles):
    group = Group.objects.create(name="Temporary")
    UserFactory(username="quiet").groups.add(group)
    user = UserFactory(username="short-lived")
    target = audit_target(user)
    with NewRows() as new:
        group.delete()
        user.delete()

    deleted_group, deleted_user = new.rows
    assert deleted_group.summary == "Group “Temporary”: deleted; members removed: 1 account(s)"
    assert (deleted_user.target, deleted_user.detail["deleted"]) == (target, True)


@pytest.mark.parametrize(
    ("scope", "kept"),
    [
        ("q=zoe.quill%40example.org&status=subscribed", "q=(a search)&status=subscribed"),
        (
            "every signature the staff list showed; filters: q=Zo%C3%AB+Quill&state__exact=ok",
            "every signature the staff list showed; filters: q=(a search)&state__exact=ok",
        ),
        (
            "first_name__startswith=Zo&last_name=Q",
            "first_name__startswith=(a search)&last_name=(a search)",
        ),
        ("note: asked by zoe@example.org", "note: asked by (an address)"),
        ("petition id 3; states: confirmed", "petition id 3; states: confirmed"),
    ],
)
def test_an_exports_scope_keeps_searches_and_addresses_out_of_the_log(scope, kept):
    from orgs.exports import scope_without_searches

    assert scope_without_searches(scope) == kept
