"""Staff sign-in, for each persona: password, then a code for those who can see signatures."""

import functools
import importlib
import re
from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher, make_password
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.core.management import call_command
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from orgs import signin
from orgs.middleware import StaffSignInMiddleware
from tests.conftest import staff_login
from tests.factories import PetitionFactory, UserFactory

PASSWORD = "correct horse battery staple"
SIGN_IN = "/staff/login/"
CODE = "/staff/login/code/"
SETUP = "/staff/login/setup/"
RECOVERY = "/staff/login/recovery-codes/"
# The workspace's first page every role can open (/staff/ itself forwards to it).
STAFF_INDEX = "/staff/petitions/"


@pytest.fixture
def superuser(db):
    return UserFactory(username="sue-superuser", is_superuser=True)


@pytest.fixture
def petition_editor(roles):
    """Staff who edit petitions but may not see who signed them."""
    user = UserFactory(username="pat-petitions")
    user.user_permissions.add(
        *signin_permissions("view_petition", "change_petition", app_label="petitions")
    )
    return user


def signin_permissions(*codenames, app_label):
    return Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)


@pytest.fixture
def persona(request, roles):
    """The persona a parametrised test names, with a known password."""
    return with_password(request.getfixturevalue(request.param))


@functools.cache
def _password_hash() -> str:
    # Hashed once for the module: Argon2 is slow on purpose.
    return make_password(PASSWORD)


def with_password(user) -> User:
    user.password = _password_hash()
    user.save()
    return user


def sign_in(client: Client, user, password: str = PASSWORD):
    return client.post(SIGN_IN, {"username": user.username, "password": password})


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    signin.recovery_codes_replace(user=user)
    return device


def without_csrf_token(html: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html.decode())


PERSONAS_WITH_SIGNATURES = ["owner", "campaigner", "analyst", "superuser"]


class TestWhoMustConfirmWithACode:
    @pytest.mark.parametrize("persona", PERSONAS_WITH_SIGNATURES, indirect=True)
    def test_staff_who_see_signatures_are_sent_to_set_up_an_app_on_first_sign_in(
        self, client, persona
    ):
        response = sign_in(client, persona)

        assert response.status_code == 302
        assert response["Location"].startswith(SETUP)

    @pytest.mark.parametrize("persona", PERSONAS_WITH_SIGNATURES, indirect=True)
    def test_enrolled_staff_are_asked_for_their_code_after_the_password(self, client, persona):
        enrolled(persona)

        response = sign_in(client, persona)

        assert response["Location"].startswith(CODE)

    def test_staff_without_access_to_signatures_sign_in_with_the_password_alone(
        self, client, petition_editor
    ):
        response = sign_in(client, with_password(petition_editor))

        assert response["Location"] == "/staff/"
        assert client.get(STAFF_INDEX).status_code == 200

    def test_staff_who_set_up_an_app_must_use_it_even_without_access_to_signatures(
        self, client, petition_editor
    ):
        enrolled(with_password(petition_editor))

        assert sign_in(client, petition_editor)["Location"].startswith(CODE)
        assert client.get(STAFF_INDEX)["Location"].startswith(SIGN_IN)

    def test_people_who_are_not_staff_cannot_sign_in(self, client, db):
        member = with_password(UserFactory(username="not-staff", is_staff=False))

        response = sign_in(client, member)

        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


STAFF_PAGES = [
    STAFF_INDEX,
    "/admin/petitions/signature/",
    "/admin/petitions/petition/",
    "/admin/auth/user/",
    RECOVERY,
]


def _to_sign_in(client, response):
    """The operators' admin sends its login URL on to the staff sign-in: follow that hop."""
    if response["Location"].startswith("/admin/login/"):
        return client.get(response["Location"])
    return response


class TestNothingBeforeTheCode:
    @pytest.mark.parametrize("persona", PERSONAS_WITH_SIGNATURES, indirect=True)
    def test_no_staff_page_opens_between_the_password_and_the_set_up(self, client, persona):
        sign_in(client, persona)

        for path in STAFF_PAGES:
            response = _to_sign_in(client, client.get(path))

            assert response.status_code == 302, path
            assert response["Location"].startswith(SIGN_IN)
            assert client.get(response["Location"])["Location"].startswith(SETUP)

    @pytest.mark.parametrize("persona", PERSONAS_WITH_SIGNATURES, indirect=True)
    def test_no_staff_page_opens_between_the_password_and_the_code(self, client, persona):
        enrolled(persona)
        sign_in(client, persona)

        for path in STAFF_PAGES:
            response = _to_sign_in(client, client.get(path))

            assert response.status_code == 302, path
            assert client.get(response["Location"])["Location"].startswith(CODE)

    def test_the_draft_preview_waits_for_the_code_too(self, client, campaigner, organisation):
        draft = PetitionFactory(organisation=organisation, status="draft")
        enrolled(with_password(campaigner))
        sign_in(client, campaigner)

        response = client.get(f"/staff/petitions/{draft.pk}/preview/")

        assert response.status_code == 302
        assert draft.title not in client.get(response["Location"], follow=True).content.decode()

    def test_an_app_already_set_up_cannot_be_replaced_with_the_password_alone(
        self, client, campaigner
    ):
        device = enrolled(with_password(campaigner))
        sign_in(client, campaigner)

        response = client.get(SETUP)

        assert response["Location"].startswith(CODE)
        assert list(TOTPDevice.objects.filter(user=campaigner)) == [device]


class TestSettingUpTheApp:
    def test_the_set_up_shows_a_qr_code_and_the_key_and_a_first_code_finishes_it(
        self, client, campaigner
    ):
        sign_in(client, with_password(campaigner))
        page = client.get(SETUP).content.decode()
        device = TOTPDevice.objects.get(user=campaigner, confirmed=False)

        assert 'src="data:image/svg+xml;base64,' in page
        assert signin.totp_secret_text(device=device) in page
        response = client.post(SETUP, {"code": current_code(device), "next": STAFF_INDEX})

        assert response["Location"].startswith(RECOVERY)
        device.refresh_from_db()
        assert device.confirmed
        assert client.get(STAFF_INDEX).status_code == 200

    def test_the_recovery_codes_are_shown_once_after_the_set_up(self, client, campaigner):
        sign_in(client, with_password(campaigner))
        client.get(SETUP)
        device = TOTPDevice.objects.get(user=campaigner)
        client.post(SETUP, {"code": current_code(device)})

        first = client.get(RECOVERY).content.decode()
        again = client.get(RECOVERY).content.decode()

        shown = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", first)
        stored = set(StaticToken.objects.filter(device__user=campaigner).values_list("token"))
        assert len(shown) == signin.RECOVERY_CODE_COUNT
        digests = {signin.recovery_code_digest(user_id=campaigner.pk, code=c) for c in shown}
        assert {(digest,) for digest in digests} == stored
        assert not {(code.replace("-", ""),) for code in shown} & stored
        assert not any(code in again for code in shown)
        assert "are not shown again" in again

    def test_a_wrong_first_code_leaves_the_app_unconfirmed(self, client, campaigner):
        sign_in(client, with_password(campaigner))
        client.get(SETUP)

        response = client.post(SETUP, {"code": "000000"})

        assert "That code did not work" in response.content.decode()
        assert not TOTPDevice.objects.filter(user=campaigner, confirmed=True).exists()
        assert client.get(STAFF_INDEX).status_code == 302

    def test_the_key_stays_the_same_until_the_set_up_is_finished(self, client, campaigner):
        sign_in(client, with_password(campaigner))

        first, second = client.get(SETUP), client.get(SETUP)

        assert TOTPDevice.objects.filter(user=campaigner).count() == 1
        secret = signin.totp_secret_text(device=TOTPDevice.objects.get(user=campaigner))
        assert secret in first.content.decode() and secret in second.content.decode()


class TestTheCode:
    @pytest.mark.parametrize("persona", PERSONAS_WITH_SIGNATURES, indirect=True)
    def test_the_current_code_from_the_app_opens_the_staff_area(self, client, persona):
        device = enrolled(persona)
        sign_in(client, persona)

        response = client.post(CODE, {"code": current_code(device), "next": STAFF_INDEX})

        assert response["Location"] == STAFF_INDEX
        assert client.get(STAFF_INDEX).status_code == 200

    def test_a_code_from_the_app_works_only_once(self, client, campaigner):
        device = enrolled(with_password(campaigner))
        code = current_code(device)
        sign_in(client, campaigner)
        client.post(CODE, {"code": code})
        client.post("/staff/logout/")

        sign_in(client, campaigner)
        response = client.post(CODE, {"code": code})

        assert response.status_code == 200
        assert client.get(STAFF_INDEX).status_code == 302

    def test_a_recovery_code_works_once_and_is_then_used_up(self, client, campaigner):
        TOTPDevice.objects.create(user=with_password(campaigner), name="Phone", confirmed=True)
        typed = signin.recovery_codes_replace(user=campaigner)[3].upper()
        sign_in(client, campaigner)

        first = client.post(CODE, {"code": typed}, follow=True)
        client.post("/staff/logout/")
        sign_in(client, campaigner)
        second = client.post(CODE, {"code": typed})

        assert first.status_code == 200
        assert "You have 9 left" in first.content.decode()
        assert "That code did not work" in second.content.decode()
        assert client.get(STAFF_INDEX).status_code == 302

    def test_the_table_holds_no_recovery_code_only_a_keyed_hash(self, campaigner):
        codes = signin.recovery_codes_replace(user=campaigner)

        stored = list(
            StaticToken.objects.filter(device__user=campaigner).values_list("token", flat=True)
        )

        plain = {code.replace("-", "") for code in codes}
        assert len(stored) == len(codes) and not plain & set(stored)
        with override_settings(SECRET_KEY="another-secret-key-for-this-test"):
            other = {signin.recovery_code_digest(user_id=campaigner.pk, code=c) for c in codes}
        assert not other & set(stored)

    def test_a_stored_hash_typed_as_a_code_does_not_sign_in(self, client, campaigner):
        enrolled(with_password(campaigner))
        stored = StaticToken.objects.filter(device__user=campaigner).first().token
        sign_in(client, campaigner)

        response = client.post(CODE, {"code": stored})

        assert "That code did not work" in response.content.decode()
        assert StaticToken.objects.filter(token=stored).exists()
        assert client.get(STAFF_INDEX).status_code == 302

    def test_codes_made_before_a_key_change_work_with_the_old_key_as_a_fallback(
        self, client, campaigner
    ):
        TOTPDevice.objects.create(user=with_password(campaigner), name="Phone", confirmed=True)
        with override_settings(SECRET_KEY="the-old-secret-key-of-this-test"):
            typed = signin.recovery_codes_replace(user=campaigner)[0]

        with override_settings(SECRET_KEY_FALLBACKS=["the-old-secret-key-of-this-test"]):
            sign_in(client, campaigner)
            response = client.post(CODE, {"code": typed, "next": STAFF_INDEX})

        assert response["Location"] == STAFF_INDEX
        assert signin.recovery_codes_left(user=campaigner) == signin.RECOVERY_CODE_COUNT - 1

    def test_the_migration_hashes_codes_stored_in_plain_text_and_they_still_work(
        self, client, campaigner
    ):
        from django.apps import apps as global_apps

        migration = importlib.import_module("orgs.migrations.0008_recovery_codes_hashed")
        TOTPDevice.objects.create(user=with_password(campaigner), name="Phone", confirmed=True)
        signin.recovery_codes_replace(user=campaigner)
        plain = [StaticToken.random_token() for _ in range(3)]
        StaticToken.objects.filter(device__user=campaigner).delete()
        device = StaticDevice.objects.get(user=campaigner)
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in plain])

        migration.hash_plain_codes(global_apps, None)
        migration.hash_plain_codes(global_apps, None)  # a second run changes nothing

        stored = set(StaticToken.objects.filter(device=device).values_list("token", flat=True))
        assert stored == {
            signin.recovery_code_digest(user_id=campaigner.pk, code=c) for c in plain
        }
        sign_in(client, campaigner)
        response = client.post(CODE, {"code": plain[1], "next": STAFF_INDEX})
        assert response["Location"] == STAFF_INDEX

    def test_a_wrong_code_signs_nobody_in(self, client, campaigner):
        enrolled(with_password(campaigner))
        sign_in(client, campaigner)

        response = client.post(CODE, {"code": "123456"})

        assert "That code did not work" in response.content.decode()
        assert client.get(STAFF_INDEX).status_code == 302

    def test_new_recovery_codes_replace_the_old_ones(self, campaigner_client, campaigner):
        signin.recovery_codes_replace(user=campaigner)
        old = set(StaticToken.objects.filter(device__user=campaigner).values_list("token"))

        response = campaigner_client.post(RECOVERY)

        assert response["Location"].startswith(RECOVERY)
        new = set(StaticToken.objects.filter(device__user=campaigner).values_list("token"))
        assert len(new) == signin.RECOVERY_CODE_COUNT and not new & old

    def test_an_operator_can_reset_a_lost_phone_and_the_set_up_starts_again(
        self, client, campaigner
    ):
        enrolled(with_password(campaigner))

        call_command("chorus_reset_2fa", "cam-campaigner", stdout=open("/dev/null", "w"))  # noqa: SIM115

        assert not TOTPDevice.objects.filter(user=campaigner).exists()
        assert not StaticToken.objects.filter(device__user=campaigner).exists()
        assert sign_in(client, campaigner)["Location"].startswith(SETUP)

    def test_a_reset_ends_that_persons_sessions_so_only_the_password_starts_a_new_set_up(
        self, campaigner_client, campaigner, analyst_client
    ):
        assert campaigner_client.get(STAFF_INDEX).status_code == 200

        signin.second_factor_reset(user=campaigner)

        assert "_auth_user_id" not in campaigner_client.session
        assert campaigner_client.get(SETUP)["Location"].startswith(SIGN_IN)
        assert analyst_client.get(STAFF_INDEX).status_code == 200


class TestThrottling:
    @pytest.fixture(autouse=True)
    def _small_limits(self, settings):
        settings.STAFF_SIGN_IN_ACCOUNT_LIMIT = 3
        settings.STAFF_SIGN_IN_NETWORK_LIMIT = 5

    @pytest.fixture
    def hashing(self):
        """Every password hash Argon2 (or an older hasher) computes, counted."""
        with (
            mock.patch.object(
                Argon2PasswordHasher,
                "verify",
                autospec=True,
                side_effect=Argon2PasswordHasher.verify,
            ) as verify,
            mock.patch.object(
                Argon2PasswordHasher,
                "encode",
                autospec=True,
                side_effect=Argon2PasswordHasher.encode,
            ) as encode,
        ):
            yield lambda: verify.call_count + encode.call_count

    @freeze_time("2026-03-02 09:00")  # the responses' Expires headers are the time
    def test_over_the_account_limit_right_and_wrong_passwords_get_the_same_answer(
        self, client, petition_editor
    ):
        with_password(petition_editor)
        wrong_before_limit = sign_in(client, petition_editor, "wrong")
        for _ in range(2):
            sign_in(client, petition_editor, "wrong")

        wrong = sign_in(client, petition_editor, "also wrong")
        right = sign_in(client, petition_editor, PASSWORD)

        for response in (wrong, right):
            assert response.status_code == wrong_before_limit.status_code == 200
            assert without_csrf_token(response.content) == without_csrf_token(
                wrong_before_limit.content
            )
            assert response.items() == wrong_before_limit.items()
        assert "_auth_user_id" not in client.session

    def test_over_the_limit_no_password_is_hashed_at_all(self, client, petition_editor, hashing):
        with_password(petition_editor)
        hashed_at_start = hashing()
        for _ in range(3):
            sign_in(client, petition_editor, "wrong")
        hashed_under_the_limit = hashing() - hashed_at_start

        sign_in(client, petition_editor, PASSWORD)
        sign_in(client, petition_editor, "wrong")

        assert hashed_under_the_limit == 3
        assert hashing() - hashed_at_start == 3

    def test_unknown_usernames_are_hashed_like_known_ones_until_the_limit(
        self, client, db, hashing
    ):
        for _ in range(4):
            client.post(SIGN_IN, {"username": "nobody", "password": "guess"})

        assert hashing() == 3

    def test_the_account_limit_ignores_case_and_spaces_in_the_username(
        self, client, petition_editor
    ):
        with_password(petition_editor)
        for typed in ("PAT-petitions", " pat-petitions", "Pat-Petitions "):
            client.post(SIGN_IN, {"username": typed, "password": "wrong"})

        sign_in(client, petition_editor)

        assert "_auth_user_id" not in client.session

    def test_the_account_limit_holds_from_every_network(self, petition_editor):
        with_password(petition_editor)
        for octet in range(3):
            sign_in(Client(REMOTE_ADDR=f"198.51.{octet}.9"), petition_editor, "wrong")
        elsewhere = Client(REMOTE_ADDR="192.0.2.1")

        sign_in(elsewhere, petition_editor)

        assert "_auth_user_id" not in elsewhere.session

    def test_one_network_is_limited_across_accounts(self, db, petition_editor):
        with_password(petition_editor)
        for n in range(5):
            Client(REMOTE_ADDR=f"203.0.113.{n}").post(
                SIGN_IN, {"username": f"guess-{n}", "password": "wrong"}
            )
        same_network = Client(REMOTE_ADDR="203.0.113.200")
        other_network = Client(REMOTE_ADDR="198.51.100.7")

        sign_in(same_network, petition_editor)
        sign_in(other_network, petition_editor)

        assert "_auth_user_id" not in same_network.session
        assert "_auth_user_id" in other_network.session

    def test_signing_in_successfully_gives_the_attempt_back(self, client, petition_editor):
        with_password(petition_editor)
        for _ in range(5):
            sign_in(client, petition_editor)
            client.post("/staff/logout/")

        sign_in(client, petition_editor)

        assert "_auth_user_id" in client.session

    def test_wrong_codes_are_limited_too_and_then_the_right_one_fails_alike(
        self, client, campaigner
    ):
        device = enrolled(with_password(campaigner))
        sign_in(client, campaigner)
        wrong_before_limit = client.post(CODE, {"code": "111111"})
        # django-otp's own back-off per device would refuse codes within seconds of a
        # failure; this test is about Chorus's count, so that back-off is lifted.
        with mock.patch.object(TOTPDevice, "get_throttle_factor", return_value=0):
            for code in ("222222", "333333"):
                client.post(CODE, {"code": code})

            right = client.post(CODE, {"code": current_code(device)})

        assert without_csrf_token(right.content) == without_csrf_token(wrong_before_limit.content)
        assert client.get(STAFF_INDEX).status_code == 302


class TestPasswords:
    def test_new_passwords_are_hashed_with_argon2(self, db):
        user = UserFactory(username="new-staff")
        user.set_password(PASSWORD)

        assert user.password.startswith("argon2$")

    def test_an_older_hash_still_signs_in_and_is_upgraded_to_argon2(self, client, petition_editor):
        petition_editor.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
        petition_editor.save()

        sign_in(client, petition_editor)

        petition_editor.refresh_from_db()
        assert "_auth_user_id" in client.session
        assert petition_editor.password.startswith("argon2$")


class TestIdleSessions:
    @pytest.fixture(autouse=True)
    def _idle_limit(self, settings):
        settings.STAFF_SESSION_IDLE_MINUTES = 30

    def test_a_session_left_idle_past_the_limit_is_signed_out(self, owner):
        with freeze_time("2026-03-02 09:00") as clock:
            client = staff_login(Client(), owner)
            assert client.get(STAFF_INDEX).status_code == 200

            clock.tick(31 * 60)
            response = client.get(STAFF_INDEX)

        assert response.status_code == 302
        assert response["Location"].startswith(SIGN_IN)
        assert "_auth_user_id" not in client.session

    def test_activity_keeps_a_session_alive(self, owner):
        with freeze_time("2026-03-02 09:00") as clock:
            client = staff_login(Client(), owner)
            for _ in range(4):
                clock.tick(20 * 60)
                assert client.get(STAFF_INDEX).status_code == 200

    def test_the_idle_limit_is_a_setting(self, owner, settings):
        settings.STAFF_SESSION_IDLE_MINUTES = 5
        with freeze_time("2026-03-02 09:00") as clock:
            client = staff_login(Client(), owner)
            client.get(STAFF_INDEX)
            clock.tick(6 * 60)

            assert client.get(STAFF_INDEX).status_code == 302

    def test_the_sign_in_page_says_why_after_an_idle_sign_out(self, owner):
        with freeze_time("2026-03-02 09:00") as clock:
            client = staff_login(Client(), owner)
            client.get(STAFF_INDEX)
            clock.tick(31 * 60)

            page = client.get(STAFF_INDEX, follow=True).content.decode()

        assert "signed out after 30 minutes without activity" in page


class TestWhereSignInLeads:
    def test_it_returns_to_the_page_asked_for(self, client, petition_editor):
        with_password(petition_editor)

        response = client.post(
            SIGN_IN,
            {"username": "pat-petitions", "password": PASSWORD, "next": "/staff/petitions/"},
        )

        assert response["Location"] == "/staff/petitions/"

    def test_it_never_leads_to_another_site(self, client, petition_editor):
        with_password(petition_editor)

        response = client.post(
            SIGN_IN,
            {"username": "pat-petitions", "password": PASSWORD, "next": "https://evil.example/"},
        )

        assert response["Location"] == "/staff/"

    def test_the_admin_login_and_logout_are_these_pages(self, client, db):
        page = client.get("/staff/login/?next=/staff/").content.decode()

        assert 'autocomplete="current-password"' in page
        assert client.get("/staff/logout/").status_code == 405

    def test_sign_in_pages_are_never_cached(self, client, db):
        assert "no-store" in client.get(SIGN_IN)["Cache-Control"]


def test_the_staff_area_links_to_ones_recovery_codes(campaigner_client):
    page = campaigner_client.get(STAFF_INDEX).content.decode()

    assert f'href="{RECOVERY}"' in page


def test_requests_without_a_session_cookie_pass_the_middleware_untouched(rf):
    """Signers carry no session: the sign-in middleware must cost them nothing."""
    request = rf.post("/p/stop-face-scraping/sign/")
    request.user = user = AnonymousUser()
    middleware = StaffSignInMiddleware(lambda request: request.user)

    assert middleware(request) is user
    assert middleware.process_view(request, lambda request: None, (), {}) is None
    assert request.user is user
