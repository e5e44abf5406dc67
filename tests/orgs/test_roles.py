"""The built-in staff roles: exporting personal data is the owner's alone."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from orgs.roles import ROLES, role_permissions
from tests.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "may_export"),
    [
        ("owner", True),
        ("campaigner", False),
        ("analyst", False),
        ("view_only", False),
        ("superuser", True),
    ],
)
def test_only_the_owner_among_the_roles_may_export(persona, may_export):
    assert staff_user(persona).has_perm("orgs.export_personal_data") is may_export


def test_no_wildcard_grants_the_export_permission(roles):
    every_app = ["orgs.*", "petitions.*", "members.*", "jobs.*", "auth.*", "orgs.export*"]

    granted = role_permissions(every_app).values_list("codename", flat=True)

    assert "export_personal_data" not in granted
    assert "view_exportrecord" in granted


def test_a_role_holds_the_export_permission_only_by_naming_it(roles):
    for name, patterns in ROLES.items():
        group = Group.objects.get(name=name)
        holds = group.permissions.filter(codename="export_personal_data").exists()
        assert holds is ("orgs.export_personal_data" in patterns), name


def test_nobody_can_be_granted_changing_or_deleting_the_export_log(roles):
    codenames = role_permissions(["orgs.*"]).values_list("codename", flat=True)

    assert {c for c in codenames if c.endswith("exportrecord")} == {"view_exportrecord"}


def test_chorus_roles_brings_a_role_granted_too_much_back_to_its_definition(roles):
    campaigner = Group.objects.get(name="Campaigner")
    campaigner.permissions.add(role_permissions(["orgs.export_personal_data"]).get())

    call_command("chorus_roles", stdout=io.StringIO())

    assert not campaigner.permissions.filter(codename="export_personal_data").exists()
    assert (
        Group.objects.get(name="Owner")
        .permissions.filter(codename="export_personal_data")
        .exists()
    )
