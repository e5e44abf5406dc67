"""manage.py chorus_create_owner: the production set-up makes one owner and nothing else."""

import io
import sys

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from orgs.models import Organisation
from petitions.models import Petition
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 7"
FIRST_RUN = [
    "--username=olive",
    "--email=olive@openfaces.example",
    "--organisation=Open Faces Alliance",
    "--postal-address=12 Example Street\\nLondon N1 0AA",
]


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


def _create_owner(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("chorus_create_owner", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_the_production_set_up_loads_no_petition_and_makes_exactly_one_account(
    password_file, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    migrate_output = io.StringIO()
    call_command("migrate", stdout=migrate_output, verbosity=1)

    output = _create_owner(*FIRST_RUN, f"--password-file={password_file}")

    assert not Petition.objects.exists()
    owner = User.objects.get()
    assert (owner.username, owner.is_staff, owner.is_superuser) == ("olive", True, False)
    assert list(owner.groups.values_list("name", flat=True)) == ["Owner"]
    assert owner.check_password(PASSWORD)
    assert owner.has_perm("orgs.export_personal_data")
    assert PASSWORD not in output + migrate_output.getvalue()
    assert not (tmp_path / "demo-login.txt").exists()
    organisation = Organisation.objects.get()
    assert organisation.postal_address == "12 Example Street\nLondon N1 0AA"
    assert organisation.privacy_email == "olive@openfaces.example"
    assert "Sign in at https://act.openfaces.example/staff/" in output


def test_it_reads_the_password_from_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))

    _create_owner(*FIRST_RUN, "--password-file=-")

    assert User.objects.get().check_password(PASSWORD)


def test_with_an_organisation_already_there_it_adds_an_owner_only(organisation, password_file):
    _create_owner(
        "--username=second", "--email=s@openfaces.example", f"--password-file={password_file}"
    )

    assert Organisation.objects.get() == organisation
    assert User.objects.get().groups.get().name == "Owner"


def test_the_first_run_asks_for_the_organisation(password_file):
    with pytest.raises(CommandError, match="--organisation and --postal-address"):
        _create_owner(
            "--username=olive", "--email=o@example.org", f"--password-file={password_file}"
        )

    assert not User.objects.exists() and not Organisation.objects.exists()


def test_a_weak_password_is_refused_and_nothing_is_made(tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("password\n")

    with pytest.raises(CommandError, match="The password was refused"):
        _create_owner(*FIRST_RUN, f"--password-file={weak}")

    assert not User.objects.exists() and not Organisation.objects.exists()


def test_an_existing_username_is_left_alone(password_file, roles):
    OrganisationFactory()
    User.objects.create_user("olive", password="the old one 12345")

    with pytest.raises(CommandError, match="exists already"):
        _create_owner(
            "--username=olive", "--email=o@example.org", f"--password-file={password_file}"
        )

    assert User.objects.get().check_password("the old one 12345")


def test_without_a_terminal_or_a_password_file_it_explains(monkeypatch, organisation):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    with pytest.raises(CommandError, match="--password-file"):
        _create_owner("--username=olive", "--email=o@example.org")


def test_a_missing_password_file_is_a_clear_message(organisation, tmp_path):
    with pytest.raises(CommandError, match="Cannot read the password file"):
        _create_owner(
            "--username=olive", "--email=o@example.org", f"--password-file={tmp_path}/none"
        )


def test_a_bad_email_is_refused(organisation, password_file):
    with pytest.raises(CommandError, match="is not an email address"):
        _create_owner("--username=olive", "--email=olive", f"--password-file={password_file}")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_in_a_terminal_it_asks_twice_and_refuses_two_different_answers(monkeypatch, organisation):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    with pytest.raises(CommandError, match="The two passwords differ"):
        _create_owner("--username=olive", "--email=o@example.org")

    assert not User.objects.exists()


def test_in_a_terminal_the_password_asked_for_is_the_one_set(monkeypatch, organisation):
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: PASSWORD)

    output = _create_owner("--username=olive", "--email=o@example.org")

    assert User.objects.get().check_password(PASSWORD)
    assert PASSWORD not in output
