"""Staff sign-in: throttled passwords, a second factor for people data, idle expiry.

Staff who can see signatures (or members, or who can grant themselves either) must
confirm each sign-in with a code from an authenticator app (django-otp's TOTP device)
or one of their single-use recovery codes (a static device). Every attempt, password or
code, is counted per account and per client network in the cache before any password is
hashed, so guessing costs the guesser time and the server no Argon2 work once over the
limit. Whoever is over the limit gets the same answer as a wrong password.
"""

import base64
import contextlib
import hashlib
import io
import time
import unicodedata

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lib.clientip import client_ip, ip_fingerprint
from orgs.audit import Action, audit_record, audit_target

# Anyone holding one of these sees personal data, or can give it to themselves.
PERSONAL_DATA_PERMISSIONS = (
    "petitions.view_signature",
    "members.view_member",
    "auth.change_user",
    "auth.change_group",
)
RECOVERY_CODE_COUNT = 10
LAST_SEEN_SESSION_KEY = "staff_last_seen"
RECOVERY_CODES_SESSION_KEY = "staff_new_recovery_codes"
# The session's last-seen time is rewritten at most this often (one write a minute,
# not one per page), so idle expiry is exact to within this many seconds.
LAST_SEEN_RESOLUTION = 60


# --- Who needs a second factor -------------------------------------------------------------


def second_factor_required(user: AbstractBaseUser) -> bool:
    """Whether `user` must confirm sign-in with a code.

    Anyone who can see personal data must; so must anyone who has set up an app, even
    after losing the permissions that required it.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser or any(user.has_perm(p) for p in PERSONAL_DATA_PERMISSIONS):
        return True
    return totp_device_confirmed(user=user) is not None


def totp_device_confirmed(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_verified(user) -> bool:
    """Whether this request's user confirmed their sign-in with a code (django-otp)."""
    return bool(getattr(user, "is_verified", None) and user.is_verified())


# --- Throttling ----------------------------------------------------------------------------


def _username_normalised(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _attempt_keys(*, username: str, meta: dict) -> list[tuple[str, int]]:
    account = hashlib.sha256(_username_normalised(username).encode()).hexdigest()
    network = ip_fingerprint(client_ip(meta))[1] or "unknown"
    return [
        (f"signin:account:{account}", settings.STAFF_SIGN_IN_ACCOUNT_LIMIT),
        (f"signin:network:{network}", settings.STAFF_SIGN_IN_NETWORK_LIMIT),
    ]


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the window ran out between add() and incr()
        cache.set(key, 1, timeout=window)
        return 1


def sign_in_attempt_allowed(*, username: str, meta: dict) -> bool:
    """Counts one attempt for this account and network; False once either is over its limit.

    The attempt is counted before anything is checked, so concurrent guesses cannot
    all slip in under the limit while the first is still being hashed.
    """
    window = settings.STAFF_SIGN_IN_WINDOW_MINUTES * 60
    counts = [
        (_count(key, window), limit) for key, limit in _attempt_keys(username=username, meta=meta)
    ]
    return all(count <= limit for count, limit in counts)


def sign_in_attempt_succeeded(*, username: str, meta: dict) -> None:
    """Gives back a successful attempt: only failures use up the allowance."""
    for key, _limit in _attempt_keys(username=username, meta=meta):
        with contextlib.suppress(ValueError):  # the window ran out meanwhile
            cache.decr(key)


# --- Password ------------------------------------------------------------------------------


def staff_authenticate(*, request, username: str, password: str):
    """The staff user these credentials name, or None (wrong, not staff, or throttled)."""
    if not sign_in_attempt_allowed(username=username, meta=request.META):
        return None
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_staff:
        return None
    sign_in_attempt_succeeded(username=username, meta=request.META)
    return user


# --- Second factor -------------------------------------------------------------------------


def _code_normalised(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()


def second_factor_verify(*, request, code: str):
    """Checks a code from the app or a recovery code (used up); the device, or None."""
    user = request.user
    if not sign_in_attempt_allowed(username=user.get_username(), meta=request.META):
        return None
    code = _code_normalised(code)
    # An app's codes are six digits; recovery codes are eight letters and digits.
    app_code = len(code) == 6 and code.isdigit()
    devices = TOTPDevice if app_code else StaticDevice
    with transaction.atomic():
        for device in devices.objects.filter(user=user, confirmed=True).select_for_update():
            token = code if app_code else _recovery_token_stored(device=device, code=code)
            if device.verify_token(token):
                otp_login(request, device)
                sign_in_attempt_succeeded(username=user.get_username(), meta=request.META)
                return device
    return None


def recovery_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_enrolment_start(*, user) -> TOTPDevice:
    """The not yet confirmed app this user is setting up (the same one until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )


def totp_enrolment_confirm(*, request, code: str) -> list[str] | None:
    """Confirms the app with its first code; returns the new recovery codes, or None."""
    user = request.user
    if not sign_in_attempt_allowed(username=user.get_username(), meta=request.META):
        return None
    with transaction.atomic():
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=False)
            .order_by("id")
            .select_for_update()
            .first()
        )
        if device is None or not device.verify_token(_code_normalised(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = recovery_codes_replace(user=user)
    otp_login(request, device)
    sign_in_attempt_succeeded(username=user.get_username(), meta=request.META)
    return codes


def recovery_codes_replace(*, user) -> list[str]:
    """Ten new single-use codes for `user`; any earlier ones stop working."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(
            [
                StaticToken(device=device, token=recovery_code_digest(user_id=user.pk, code=c))
                for c in codes
            ]
        )
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def recovery_code_digest(*, user_id: int, code: str, secret: str | None = None) -> str:
    """What the database keeps of a recovery code: a keyed hash, never the code.

    Someone who reads the table (a backup, a leaked dump) cannot sign in with it. The key
    is SECRET_KEY, so a new SECRET_KEY also ends the old codes unless the old key is in
    SECRET_KEY_FALLBACKS. Sixteen hex digits fit django-otp's token column.
    """
    value = f"{user_id}:{_code_normalised(code)}"
    mac = salted_hmac("chorus.orgs.recovery-code", value, secret=secret, algorithm="sha256")
    return mac.hexdigest()[:16]


def _recovery_token_stored(*, device: StaticDevice, code: str) -> str:
    """The stored form of `code` on `device`, under the current key or a fallback key."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    digests = [recovery_code_digest(user_id=device.user_id, code=code, secret=k) for k in keys]
    found = device.token_set.filter(token__in=digests).values_list("token", flat=True).first()
    return found or digests[0]


def second_factor_reset(*, user, by=None, operator: str = "") -> int:
    """Removes the user's app and recovery codes (a lost phone) and ends their sessions:
    the next sign-in takes the password and starts the set-up again.

    A session left open could otherwise set up a new app without the password, for
    whoever holds it (the finder of the phone, say). Recorded in the audit log: `by` is
    the staff member who did it, or None with `operator` saying who ran the command.
    """
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        sessions_end(user=user)
        detail = {"devices_removed": removed}
        if operator:
            detail["operator"] = operator[:150]
        audit_record(
            by=by,
            action=Action.TWO_FACTOR_RESET,
            summary="Two-factor authentication reset: app and recovery codes removed",
            target=audit_target(user),
            detail=detail,
        )
    return removed


def sessions_end(*, user) -> None:
    """Deletes every stored session signed in as `user` (database sessions, Chorus's)."""
    user_id = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == user_id:
            session.delete()


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """The app's set-up link as a QR code, an SVG data: URL (no third party draws it)."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def totp_secret_text(*, device: TOTPDevice) -> str:
    """The secret as people type it into an app: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- Idle expiry ---------------------------------------------------------------------------


def staff_session_idle(*, session) -> bool:
    """Whether this signed-in session has gone STAFF_SESSION_IDLE_MINUTES without a request.

    A session with no record yet (just signed in) starts its clock now.
    """
    last_seen = session.get(LAST_SEEN_SESSION_KEY)
    idle_seconds = settings.STAFF_SESSION_IDLE_MINUTES * 60
    return last_seen is not None and time.time() - last_seen > idle_seconds


def staff_session_touch(*, session) -> None:
    now = int(time.time())
    last_seen = session.get(LAST_SEEN_SESSION_KEY)
    if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
        session[LAST_SEEN_SESSION_KEY] = now
        # The stored session and its cookie lapse too, but later: someone back soon after
        # the limit is still recognised, and told why they must sign in again.
        session.set_expiry(2 * settings.STAFF_SESSION_IDLE_MINUTES * 60 + LAST_SEEN_RESOLUTION)
