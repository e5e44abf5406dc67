from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from orgs import people, signin
from orgs.forms import CodeForm, FirstCodeForm, JoinForm, SignInForm

# --- Staff sign-in (orgs/signin.py holds the rules) ---------------------------------------

SIGN_IN_FAILED = gettext_lazy(
    "We could not sign you in with that username and password. Check them and try again; "
    "after several tries, wait a few minutes first."
)
CODE_FAILED = gettext_lazy(
    "That code did not work. Type the code your app shows now, or one of your recovery "
    "codes; after several tries, wait a few minutes first."
)
LOW_ON_RECOVERY_CODES = 3


def sign_in_step(view):
    """Marks a view that a signed-in person may reach before confirming with a code."""
    view.staff_sign_in_step = True
    return view


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _step_after_password(request, next_url: str):
    user = request.user
    if signin.is_verified(user) or not signin.second_factor_required(user):
        return redirect(next_url)
    if signin.totp_device_confirmed(user=user) is None:
        return redirect(_with_next("staff_enrol", next_url))
    return redirect(_with_next("staff_second_factor", next_url))


@sign_in_step
@sensitive_post_parameters("password")
@never_cache
def sign_in(request):
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return _step_after_password(request, next_url)
    form = SignInForm(request.POST or None)
    failed = False
    if request.method == "POST" and form.is_valid():
        user = signin.staff_authenticate(request=request, **form.cleaned_data)
        if user is not None:
            login(request, user)
            signin.staff_session_touch(session=request.session)
            return _step_after_password(request, next_url)
        failed = True
        form = SignInForm(initial={"username": form.cleaned_data["username"]})
    context = {"form": form, "error": SIGN_IN_FAILED if failed else "", "next": next_url}
    return render(request, "orgs/sign_in.html", context)


@sign_in_step
@never_cache
def second_factor(request):
    user, next_url = request.user, _next_url(request)
    if not user.is_authenticated:
        return redirect_to_login(next_url)
    if signin.is_verified(user) or not signin.second_factor_required(user):
        return redirect(next_url)
    if signin.totp_device_confirmed(user=user) is None:
        return redirect(_with_next("staff_enrol", next_url))
    form = CodeForm(request.POST or None)
    failed = False
    if request.method == "POST" and form.is_valid():
        device = signin.second_factor_verify(request=request, code=form.cleaned_data["code"])
        if device is not None:
            if isinstance(device, StaticDevice):
                _recovery_code_used(request)
            return redirect(next_url)
        failed = True
        form = CodeForm()
    context = {"form": form, "error": CODE_FAILED if failed else "", "next": next_url}
    return render(request, "orgs/second_factor.html", context)


def _recovery_code_used(request) -> None:
    left = signin.recovery_codes_left(user=request.user)
    text = _("You used a recovery code: it will not work again. You have %(left)s left.") % {
        "left": left
    }
    if left <= LOW_ON_RECOVERY_CODES:
        text += " " + _("Make a new set from “Recovery codes” at the top of the staff area.")
    messages.warning(request, text)


@sign_in_step
@never_cache
def enrol(request):
    user, next_url = request.user, _next_url(request)
    if not user.is_authenticated:
        return redirect_to_login(next_url)
    if signin.is_verified(user):
        return redirect(next_url)
    if signin.totp_device_confirmed(user=user) is not None:
        # Replacing an app takes the old one (or an operator: manage.py chorus_reset_2fa).
        return redirect(_with_next("staff_second_factor", next_url))
    device = signin.totp_enrolment_start(user=user)
    form = FirstCodeForm(request.POST or None)
    failed = False
    if request.method == "POST" and form.is_valid():
        codes = signin.totp_enrolment_confirm(request=request, code=form.cleaned_data["code"])
        if codes is not None:
            request.session[signin.RECOVERY_CODES_SESSION_KEY] = codes
            return redirect(_with_next("staff_recovery_codes", next_url))
        failed = True
        form = FirstCodeForm()
    context = {
        "form": form,
        "error": CODE_FAILED if failed else "",
        "next": next_url,
        "qr_code": signin.totp_qr_svg(device=device),
        "config_url": device.config_url,
        "secret": signin.totp_secret_text(device=device),
    }
    return render(request, "orgs/enrol.html", context)


@never_cache
def recovery_codes(request):
    next_url = _next_url(request)
    if not signin.is_verified(request.user):
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        codes = signin.recovery_codes_replace(user=request.user)
        request.session[signin.RECOVERY_CODES_SESSION_KEY] = codes
        return redirect(_with_next("staff_recovery_codes", next_url))
    context = {
        # Shown once: a reload finds them gone from the session.
        "codes": request.session.pop(signin.RECOVERY_CODES_SESSION_KEY, None),
        "left": signin.recovery_codes_left(user=request.user),
        "next": next_url,
    }
    return render(request, "orgs/recovery_codes.html", context)


@sign_in_step
@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("staff_sign_in")


# --- Joining by invitation (orgs/people.py holds the rules) ---------------------------------

INVITATION_GONE_STATUS = 404


def _invitation_gone(request):
    # One page for every link that does not work (used, expired, withdrawn, unknown,
    # or too many tries from this network), so the page tells a guesser nothing.
    return render(request, "orgs/join_gone.html", status=INVITATION_GONE_STATUS)


@sensitive_post_parameters("password", "password_again")
@never_cache
def invitation_accept(request, token: str):
    if request.user.is_authenticated:
        return render(request, "orgs/join_signed_in.html")
    throttle_key = "invitation:" + token[:43]
    if not signin.sign_in_attempt_allowed(username=throttle_key, meta=request.META):
        return _invitation_gone(request)
    invitation = people.invitation_for_token(token)
    if invitation is None:
        return _invitation_gone(request)
    # A working link is not a guess: only failures use up the allowance.
    signin.sign_in_attempt_succeeded(username=throttle_key, meta=request.META)
    form = JoinForm(
        request.POST or None, initial={"username": people.username_suggested(invitation.email)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = people.invitation_accept(
                invitation=invitation,
                username=data["username"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except people.PeopleRefused:
            return _invitation_gone(request)
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field, messages_)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            signin.staff_session_touch(session=request.session)
            messages.success(request, _("Your account is ready. One more step before you start."))
            return _step_after_password(request, resolve_url(settings.LOGIN_REDIRECT_URL))
    inviter = invitation.invited_by
    context = {
        "form": form,
        "invitation": invitation,
        "inviter_name": inviter.get_full_name() or inviter.get_username(),
    }
    return render(request, "orgs/join.html", context)
