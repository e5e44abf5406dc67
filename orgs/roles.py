"""Staff roles: Django groups with the permissions each job needs."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from orgs.audit import Action, audit_covered, audit_record, audit_target

EXPORT_PERMISSION = "orgs.export_personal_data"
# Erasing a person's data on their request (rights.services.person_erase): Owners only.
ERASE_PERMISSION = "rights.erase_person"

# Permissions no wildcard grants: a role holds one only by naming it. Taking every
# signer's name and address out of Chorus in one file is not part of "everything about
# petitions", so a pattern such as "petitions.*" or "orgs.*" never brings it along.
EXPLICIT_ONLY = [EXPORT_PERMISSION, ERASE_PERMISSION]

ROLES = {
    "Owner": [
        "orgs.*",
        "petitions.*",
        "members.*",
        "mailings.*",
        "jobs.*",
        "auth.*",
        "partners.*",
        "api.*",
        EXPORT_PERMISSION,
        ERASE_PERMISSION,
    ],
    "Campaigner": [
        "petitions.*",
        "members.view_*",
        "members.change_member",
        "mailings.*",
        "jobs.view_*",
        "partners.view_*",
        "api.view_*",
    ],
    "Analyst": [
        "petitions.view_*",
        "members.view_*",
        "mailings.view_*",
        "partners.view_partner",
    ],
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
    """Make the roles hold exactly ROLES' permissions; one audit row per role it changed."""
    for name, patterns in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        before = set(group.permissions.values_list("pk", flat=True))
        after = set(role_permissions(patterns).values_list("pk", flat=True))
        if before == after:
            continue
        with transaction.atomic(), audit_covered():
            group.permissions.set(after)
            audit_record(
                by=None,
                action=Action.ROLE,
                summary=f"Role “{name}” given its built-in permissions "
                f"({len(after - before)} added, {len(before - after)} removed)",
                target=audit_target(group),
                detail={"added": len(after - before), "removed": len(before - after)},
            )


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    first_name: str
    last_name: str


LOGIN_FILE_HEADER = """\
Chorus demo staff logins (make run). Keep this file private: it signs in as these people.

Sign in at /staff/ with a username and password, then the six-digit code your
authenticator app shows. To add an account to the app, paste its otpauth:// line into
the app, or type in the secret= part of it (most apps accept either). Phone apps scan
QR codes; `manage.py chorus_totp_code <username>` prints the current code instead.
"""


def demo_logins_ensure(*, accounts: list[DemoAccount], login_file: Path) -> list[str]:
    """Create the demo's staff accounts that do not exist yet; returns their usernames.

    Each new account gets a random password and a confirmed authenticator app (a TOTP
    key), since these roles see signatures and so must sign in with a code. Both go only
    to `login_file`, created owner-only before anything is written into it; nothing
    secret is returned, so none of it can end up in a log. The file keeps the entries of
    accounts made by an earlier run.
    """
    created = []
    entries = _login_entries(login_file)
    for account in accounts:
        if User.objects.filter(username=account.username).exists():
            continue
        password = secrets.token_urlsafe(15)
        with transaction.atomic(), audit_covered():
            user = User.objects.create_user(
                username=account.username,
                password=password,
                is_staff=True,
                email=f"{account.username}@chorus.invalid",
                first_name=account.first_name,
                last_name=account.last_name,
            )
            user.groups.add(Group.objects.get(name=account.role))
            _audit_account_created(user, account.role, "the demo loader")
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        entries[account.username] = (
            f"username: {account.username}\nrole: {account.role}\npassword: {password}\n"
            f"authenticator app: {device.config_url}\n"
        )
        created.append(account.username)
    if created:
        _write_owner_only(
            login_file, LOGIN_FILE_HEADER + "".join(f"\n{e}" for e in entries.values())
        )
    return created


def _login_entries(login_file: Path) -> dict[str, str]:
    """The entries already in the login file, by username, as written."""
    if not login_file.exists():
        return {}
    entries: dict[str, str] = {}
    username = None
    for line in login_file.read_text().splitlines(keepends=True):
        if line.startswith("username: "):
            username = line.removeprefix("username: ").strip()
            entries[username] = ""
        elif not line.strip():
            username = None
        if username is not None:
            entries[username] += line
    return entries


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
    with transaction.atomic(), audit_covered():
        user.save()
        user.groups.add(Group.objects.get(name="Owner"))
        _audit_account_created(user, "Owner", "chorus_create_owner")
    return user


def _audit_account_created(user: User, role: str, via: str) -> None:
    audit_record(
        by=None,
        action=Action.ROLE,
        summary=f"Staff account created as {role} by {via}",
        target=audit_target(user),
        detail={"role": role, "via": via},
    )
