from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django_otp.middleware import OTPMiddleware

from orgs.signin import (
    is_verified,
    second_factor_required,
    staff_session_idle,
    staff_session_touch,
)


class StaffSignInMiddleware(OTPMiddleware):
    """django-otp's OTPMiddleware, for sessions only, with idle expiry and the code rule.

    Signers carry no session cookie, so for them this is one dictionary lookup. For a
    signed-in person it
    * signs them out after STAFF_SESSION_IDLE_MINUTES without a request;
    * marks `request.user.is_verified()` as django-otp does;
    * and, while someone who must confirm with a code has not yet done so, shows every
      view but the sign-in steps (views marked `staff_sign_in_step`) an anonymous
      visitor, whatever its URL: the staff area sends them to sign in, and the sign-in
      page sends them on to the code or the set-up.
    """

    sync_capable = True
    async_capable = False

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        return super().__call__(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        if staff_session_idle(session=request.session):
            logout(request)
            minutes = settings.STAFF_SESSION_IDLE_MINUTES
            messages.info(
                request, f"You were signed out after {minutes} minutes without activity."
            )
            return None
        staff_session_touch(session=request.session)
        if is_verified(user) or getattr(view_func, "staff_sign_in_step", False):
            return None
        if second_factor_required(user):
            request.user = AnonymousUser()
        return None
