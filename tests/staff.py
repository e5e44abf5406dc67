"""Staff accounts beyond the built-in roles, for tests of who may export and delete.

Every built-in role and these two are the people the staff area must hold to its rules:
a superuser (who holds every permission) and a staff account given nothing but "view
petition", the smallest grant that reaches signatures' petitions.
"""

from django.contrib.auth.models import Permission, User
from django.test import Client

from orgs.roles import roles_ensure
from tests.conftest import staff_login
from tests.factories import UserFactory

PERSONAS = ["owner", "campaigner", "analyst", "superuser", "view_only"]


def staff_user(persona: str) -> User:
    roles_ensure()
    if persona == "superuser":
        return UserFactory(username="root", is_superuser=True)
    if persona == "view_only":
        user = UserFactory(username="viewer")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="petitions", codename="view_petition")
        )
        return user
    return UserFactory(username=f"{persona}-persona", role=persona.capitalize())


def staff_client(persona: str) -> tuple[User, Client]:
    user = staff_user(persona)
    return user, staff_login(Client(), user)
