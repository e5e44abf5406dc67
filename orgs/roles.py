"""Staff roles: Django groups with the permissions each job needs."""

import secrets

from django.contrib.auth.models import Group, Permission, User

ROLES = {
    "Owner": ["orgs.*", "petitions.*", "members.*", "jobs.*", "auth.*"],
    "Campaigner": ["petitions.*", "members.view_*", "members.change_member", "jobs.view_*"],
    "Analyst": ["petitions.view_*", "members.view_*"],
}


def _permissions(patterns: list[str]):
    chosen = Permission.objects.none()
    for pattern in patterns:
        app, _, codename = pattern.partition(".")
        qs = Permission.objects.filter(content_type__app_label=app)
        if codename != "*":
            prefix = codename.rstrip("*")
            qs = (
                qs.filter(codename__startswith=prefix)
                if codename.endswith("*")
                else qs.filter(codename=codename)
            )
        chosen = chosen | qs
    return chosen


def roles_ensure() -> None:
    for name, patterns in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(patterns))


def staff_user_ensure(username: str = "campaigner", password_file=None) -> str:
    """Create the demo campaigner login once, keeping its password in `password_file`."""
    if User.objects.filter(username=username).exists():
        return (
            password_file.read_text().strip() if password_file and password_file.exists() else ""
        )
    password = secrets.token_urlsafe(12)
    if password_file:
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
    user = User.objects.create_user(
        username=username, password=password, is_staff=True, email=f"{username}@chorus.invalid"
    )
    user.groups.add(Group.objects.get(name="Campaigner"))
    return password
