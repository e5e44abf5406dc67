"""Staff roles: Django groups with the permissions each job needs."""

import os
import secrets
from pathlib import Path

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.db.models import Q

EXPORT_PERMISSION = "orgs.export_personal_data"

# Permissions no wildcard grants: a role holds one only by naming it. Taking every
# signer's name and address out of Chorus in one file is not part of "everything about
# petitions", so a pattern such as "petitions.*" or "orgs.*" never brings it along.
EXPLICIT_ONLY = [EXPORT_PERMISSION]

ROLES = {
    "Owner": ["orgs.*", "petitions.*", "members.*", "jobs.*", "auth.*", EXPORT_PERMISSION],
    "Campaigner": ["petitions.*", "members.view_*", "members.change_member", "jobs.view_*"],
    "Analyst": ["petitions.view_*", "members.view_*"],
}


def _matching(pattern: str):
    app, _, codename = pattern.partition(".")
    qs = Permission.objects.filter(content_type__app_label=app)
    if codename == "*":
        return qs
    if codename.endswith("*"):
        return qs.filter(codename__startswith=codename.rstrip("*"))
    return qs.filter(codename=codename)


def _explicit_only() -> Q:
    excluded = Q(pk__in=[])
    for name in EXPLICIT_ONLY:
        app, _, codename = name.partition(".")
        excluded |= Q(content_type__app_label=app, codename=codename)
    return excluded


def role_permissions(patterns: list[str]):
    """The permissions `patterns` grant; wildcards never include EXPLICIT_ONLY ones."""
    chosen = Permission.objects.none()
    for pattern in patterns:
        qs = _matching(pattern)
        if "*" in pattern:
            qs = qs.exclude(_explicit_only())
        chosen = chosen | qs
    return chosen


def roles_ensure() -> None:
    for name, patterns in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(role_permissions(patterns))


def staff_user_ensure(username: str = "campaigner", *, password_file: Path) -> bool:
    """Create the demo campaigner login once; its password goes only to `password_file`.

    The file is created owner-only before the password is written into it, and the
    password is never returned, so it cannot end up in a log. Returns whether the login
    was created now.
    """
    if User.objects.filter(username=username).exists():
        return False
    password = secrets.token_urlsafe(15)
    user = User.objects.create_user(
        username=username, password=password, is_staff=True, email=f"{username}@chorus.invalid"
    )
    user.groups.add(Group.objects.get(name="Campaigner"))
    _write_owner_only(
        password_file,
        "Chorus demo staff login (make run). Keep this file private.\n"
        f"username: {username}\npassword: {password}\n",
    )
    return True


def _write_owner_only(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        os.fchmod(descriptor, 0o600)  # an older file may have been made readable to others
        file.write(text)


def owner_create(*, username: str, email: str, password: str) -> User:
    """A staff account in the Owner role: the first admin of a production installation.

    Not a superuser: an owner holds every built-in permission, export included, and the
    admin's rules (no deleting signatures, a read-only export log) still apply.
    """
    roles_ensure()
    user = User(username=username, email=email, is_staff=True)
    validate_password(password, user=user)
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name="Owner"))
    return user
