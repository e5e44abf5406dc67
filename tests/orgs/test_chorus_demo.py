"""manage.py chorus_demo: the demo organisation and petition, safe to run again."""

import io
import re
import stat

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
    out, err = io.StringIO(), io.StringIO()
    call_command("chorus_demo", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def _demo_password(settings) -> str:
    text = (settings.DATA_DIR / "demo-login.txt").read_text()
    return re.search(r"^password: (\S+)$", text, re.MULTILINE).group(1)


def test_it_loads_one_organisation_one_open_petition_and_a_staff_login(settings):
    output = _demo()

    assert Organisation.objects.count() == 1
    petition = Petition.objects.get()
    assert petition.status == Petition.Status.OPEN
    assert petition.sources.count() == 2
    user = User.objects.get()
    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["Campaigner"]
    assert user.check_password(_demo_password(settings))
    assert f"{settings.BASE_URL}/p/{petition.slug}/" in output


def test_the_password_goes_to_an_owner_only_file_and_never_to_the_output(settings):
    output = _demo()

    login_file = settings.DATA_DIR / "demo-login.txt"
    password = _demo_password(settings)
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    assert "username: campaigner" in login_file.read_text()
    assert password not in output
    assert f"campaigner, password in {login_file}" in output


def test_a_readable_login_file_left_behind_is_made_owner_only(settings):
    login_file = settings.DATA_DIR / "demo-login.txt"
    login_file.write_text("old")
    login_file.chmod(0o644)

    _demo()

    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    assert User.objects.get().check_password(_demo_password(settings))


def test_when_the_login_file_is_gone_it_says_how_to_set_a_password(settings):
    _demo()
    (settings.DATA_DIR / "demo-login.txt").unlink()

    output = _demo()

    assert "manage.py changepassword campaigner" in output


def test_running_it_twice_changes_nothing(settings):
    _demo()
    petition = Petition.objects.values().get()
    login = (settings.DATA_DIR / "demo-login.txt").read_text()

    _demo()

    assert Organisation.objects.count() == 1
    assert Petition.objects.values().get() == petition
    assert Source.objects.count() == 2
    assert User.objects.count() == 1
    assert (settings.DATA_DIR / "demo-login.txt").read_text() == login
    assert User.objects.get().check_password(_demo_password(settings))


def test_the_demo_petition_can_be_signed(public_client):
    _demo()
    petition = Petition.objects.get()

    response = public_client.post(
        f"/p/{petition.slug}/sign/",
        {"first_name": "A", "last_name": "B", "email": "ab@example.org", "country": "GB"},
    )

    assert response.status_code == 302
    assert petition.signatures.count() == 1
