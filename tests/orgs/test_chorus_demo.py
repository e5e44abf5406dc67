"""manage.py chorus_demo: the demo organisation and petition, safe to run again."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from orgs.models import Organisation
from petitions.models import Petition, Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    # The command keeps the demo login's password in DATA_DIR: not the developer's.
    settings.DATA_DIR = tmp_path


def _demo() -> str:
    out = io.StringIO()
    call_command("chorus_demo", stdout=out)
    return out.getvalue()


def test_it_loads_one_organisation_one_open_petition_and_a_staff_login(settings):
    output = _demo()

    assert Organisation.objects.count() == 1
    petition = Petition.objects.get()
    assert petition.status == Petition.Status.OPEN
    assert petition.sources.count() == 2
    user = User.objects.get()
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Campaigner"]
    password = (settings.DATA_DIR / "demo-login.txt").read_text().strip()
    assert user.check_password(password)
    assert f"{settings.BASE_URL}/p/{petition.slug}/" in output
    assert password in output


def test_running_it_twice_changes_nothing(settings):
    _demo()
    petition = Petition.objects.get()
    password = (settings.DATA_DIR / "demo-login.txt").read_text()

    output = _demo()

    assert Organisation.objects.count() == 1
    assert Petition.objects.get().version == petition.version
    assert Source.objects.count() == 2
    assert User.objects.count() == 1
    assert (settings.DATA_DIR / "demo-login.txt").read_text() == password
    assert User.objects.get().check_password(password.strip())
    assert password.strip() in output


def test_the_demo_petition_can_be_signed(public_client):
    _demo()
    petition = Petition.objects.get()

    response = public_client.post(
        f"/p/{petition.slug}/sign/",
        {"first_name": "A", "last_name": "B", "email": "ab@example.org", "country": "GB"},
    )

    assert response.status_code == 302
    assert petition.signatures.count() == 1
