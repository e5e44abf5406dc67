"""manage.py chorus_demo: the demo `make run` loads, the same however often it runs."""

import base64
import io
import re
import stat
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from orgs.models import Organisation
from petitions.counting import petition_recount
from petitions.models import Petition, PetitionCount, Signature

pytestmark = pytest.mark.django_db

DEMO_SLUG = "stop-face-scraping"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    # The command keeps the demo logins in DATA_DIR and the image in MEDIA_ROOT: not the
    # developer's.
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"


def _demo() -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("chorus_demo", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def _logins(settings) -> dict[str, dict[str, str]]:
    """The login file's entries by username."""
    text = (settings.DATA_DIR / "demo-login.txt").read_text()
    entries = {}
    for block in text.split("\n\n"):
        fields = dict(re.findall(r"^([a-z ]+): (.+)$", block, re.MULTILINE))
        if "username" in fields:
            entries[fields["username"]] = fields
    return entries


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def _secret(otpauth: str) -> bytes:
    secret = parse_qs(urlsplit(otpauth).query)["secret"][0]
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


class TestTheCampaign:
    def test_a_draft_mailing_asks_subscribed_members_who_have_not_signed(self):
        from mailings.models import Mailing
        from mailings.segments import segment_members
        from mailings.services import mailing_problems

        _demo()

        mailing = Mailing.objects.get()
        assert mailing.state == "draft" and mailing.petition.slug == DEMO_SLUG
        assert [v.letter for v in mailing.variants.all()] == ["A", "B"]
        assert mailing_problems(mailing) == []  # ready to preview, test and send
        chosen = segment_members(
            organisation=mailing.organisation, definition=mailing.segment.definition
        )
        assert chosen.exists()
        for member in chosen:
            assert member.status == "subscribed"
            # An invalidated signature is no signature: only live ones count as signed.
            live = member.signatures.filter(state__in=["pending", "confirmed"])
            assert not live.filter(petition=mailing.petition).exists()

    def test_it_loads_an_open_petition_a_draft_and_a_victory(self):
        output = _demo()

        assert Organisation.objects.count() == 1
        statuses = dict(Petition.objects.values_list("slug", "status"))
        assert statuses == {
            DEMO_SLUG: "open",
            "city-camera-register": "draft",
            "school-photos-stay-private": "won",
        }
        petition = Petition.objects.get(slug=DEMO_SLUG)
        assert petition.sources.count() == 2
        assert petition.updates.count() == 3
        assert "http" in output and f"/p/{DEMO_SLUG}/" in output

    def test_the_petition_has_hundreds_of_confirmed_signers_a_few_pending_and_two_invalidated(
        self,
    ):
        _demo()

        signatures = Signature.objects.filter(petition__slug=DEMO_SLUG)
        assert 300 <= signatures.filter(state="confirmed").count() <= 600
        assert 1 <= signatures.filter(state="pending").count() <= 30
        assert signatures.filter(state="invalidated").count() == 2
        assert signatures.exclude(email__endswith=".example.org").count() == 0
        assert signatures.filter(show_name=True).exclude(comment="").exists()
        assert signatures.filter(state="confirmed", member__isnull=True).count() == 0

    def test_signers_spread_over_three_weeks_and_many_countries_and_channels(self):
        _demo()

        counts = PetitionCount.objects.filter(petition__slug=DEMO_SLUG)
        days = dict(counts.filter(dimension="day").values_list("value", "count"))
        assert 18 <= len(days) <= 22
        assert max(days.values()) >= 3 * sorted(days.values())[len(days) // 2], "a spike day"
        assert 15 <= counts.filter(dimension="country").count() <= 25
        assert counts.filter(dimension="channel").count() >= 6

    def test_its_counts_are_what_a_recount_makes(self):
        _demo()
        petitions = Petition.objects.filter(status__in=["open", "won"])
        before = {p.slug: _counts(p) for p in petitions}

        for petition in petitions:
            petition_recount(petition=petition)

        assert {p.slug: _counts(p) for p in petitions} == before
        total = before[DEMO_SLUG][("total", "")]
        assert (
            total == Signature.objects.filter(petition__slug=DEMO_SLUG, state="confirmed").count()
        )

    def test_the_image_is_its_own_1200_by_630_picture_with_alt_text(self):
        _demo()

        petition = Petition.objects.get(slug=DEMO_SLUG)
        assert petition.image.name.startswith("petitions/")
        assert petition.image.size < 60_000
        with petition.image.open("rb") as stored, Image.open(stored) as image:
            image.verify()
            assert image.size == (1200, 630)
        assert len(petition.image_alt) > 40


def _counts(petition) -> dict:
    return {
        (dimension, value): count
        for dimension, value, count in petition.counts.values_list("dimension", "value", "count")
    }


class TestTheLogins:
    def test_an_owner_and_a_campaigner_each_with_a_confirmed_authenticator_app(self, settings):
        _demo()

        logins = _logins(settings)
        assert set(logins) == {"owner", "campaigner"}
        for username, role in (("owner", "Owner"), ("campaigner", "Campaigner")):
            user = User.objects.get(username=username)
            assert user.is_staff and not user.is_superuser
            assert list(user.groups.values_list("name", flat=True)) == [role]
            assert user.check_password(logins[username]["password"])
            assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1

    def test_a_code_from_the_files_otpauth_uri_signs_in(self, settings):
        _demo()

        for username, login in _logins(settings).items():
            uri = login["authenticator app"]
            assert uri.startswith(f"otpauth://totp/{settings.OTP_TOTP_ISSUER}%3A{username}?")
            assert f"issuer={settings.OTP_TOTP_ISSUER}" in uri
            code = TOTP(_secret(uri)).token()
            device = TOTPDevice.objects.get(user__username=username)
            assert device.verify_token(f"{code:06d}")

    def test_the_secrets_go_to_an_owner_only_file_and_never_to_the_output(self, settings):
        output = _demo()

        login_file = settings.DATA_DIR / "demo-login.txt"
        assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
        for login in _logins(settings).values():
            assert login["password"] not in output
            assert login["authenticator app"] not in output
            assert parse_qs(urlsplit(login["authenticator app"]).query)["secret"][0] not in output
        assert f"owner and campaigner; passwords and authenticator app keys in {login_file}" in (
            output
        )

    def test_a_readable_login_file_left_behind_is_made_owner_only(self, settings):
        login_file = settings.DATA_DIR / "demo-login.txt"
        login_file.write_text("old")
        login_file.chmod(0o644)

        _demo()

        assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
        assert User.objects.get(username="owner").check_password(
            _logins(settings)["owner"]["password"]
        )

    def test_an_account_made_by_an_earlier_run_keeps_its_entry(self, settings):
        _demo()
        # The campaigner: the owner published the demo's petitions, and an account the
        # audit log names as having acted cannot be deleted.
        User.objects.get(username="campaigner").delete()
        owner = _logins(settings)["owner"]

        _demo()

        logins = _logins(settings)
        assert logins["owner"] == owner
        assert User.objects.get(username="campaigner").check_password(
            logins["campaigner"]["password"]
        )

    def test_when_the_login_file_is_gone_it_says_how_to_set_a_password(self, settings):
        _demo()
        (settings.DATA_DIR / "demo-login.txt").unlink()

        output = _demo()

        assert "manage.py changepassword <username>" in output

    def test_the_code_command_prints_the_current_code_of_a_listed_account_only(self, settings):
        _demo()
        out = io.StringIO()

        call_command("chorus_totp_code", "owner", stdout=out)

        device = TOTPDevice.objects.get(user__username="owner")
        assert device.verify_token(out.getvalue().strip())
        with pytest.raises(CommandError, match="not a demo account"):
            call_command("chorus_totp_code", "someone-else")


def test_running_it_twice_changes_nothing(settings):
    _demo()
    rows = _row_counts()
    petitions = list(Petition.objects.order_by("pk").values())
    counts = list(PetitionCount.objects.order_by("pk").values())
    login = (settings.DATA_DIR / "demo-login.txt").read_text()
    media = sorted(p.name for p in (settings.MEDIA_ROOT / "petitions").iterdir())

    _demo()

    assert _row_counts() == rows
    assert list(Petition.objects.order_by("pk").values()) == petitions
    assert list(PetitionCount.objects.order_by("pk").values()) == counts
    assert (settings.DATA_DIR / "demo-login.txt").read_text() == login
    assert sorted(p.name for p in (settings.MEDIA_ROOT / "petitions").iterdir()) == media


def test_the_demo_petition_can_be_signed(public_client):
    _demo()
    petition = Petition.objects.get(slug=DEMO_SLUG)
    before = petition.signatures.count()

    response = public_client.post(
        f"/p/{petition.slug}/sign/",
        {"first_name": "A", "last_name": "B", "email": "ab@example.org", "country": "GB"},
    )

    assert response.status_code == 302
    assert petition.signatures.count() == before + 1


@pytest.mark.parametrize(
    ("prefix", "heading", "button"),
    [
        ("/fr", "Stop à l’aspiration de nos photos", "Signer la pétition"),
        ("/de", "Stoppt das Abgreifen unserer Fotos", "Petition unterschreiben"),
        ("/es", "Que dejen de copiar nuestras fotos", "Firmar la petición"),
    ],
)
def test_the_demo_petition_is_translated_into_each_language(
    public_client, prefix, heading, button
):
    _demo()

    html = public_client.get(f"{prefix}/p/{DEMO_SLUG}/").content.decode()

    assert heading in html and button in html
    assert "Stop the scraping of our photos" not in html
