"""The one way a workspace view says who may open it.

Every view under /staff/ is wrapped by `staff_view(permission)`. The wrapper

* sends a visitor who is not signed in (or who has not yet confirmed with their code:
  orgs.middleware shows such a person as anonymous) to the sign-in page, then back;
* refuses an inactive or non-staff account the same way;
* answers a signed-in colleague whose role lacks `permission` with the workspace's 403
  page, which names their role and who can help;
* and records `permission` on the view, so tests/workspace/test_url_walk.py can walk every
  workspace URL as every role and know what each should see.

`permission` is a Django permission name ("petitions.change_petition") or None for
"any active staff member". Views that change things take the stronger permission; a
view that shows a form for a change it would refuse on POST takes the change permission
for GET too, so nobody fills in a form they cannot send.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache


def staff_member(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def staff_view(permission: str | None):
    def decorate(view):
        @wraps(view)
        @never_cache
        def wrapped(request, *args, **kwargs):
            if not staff_member(request.user):
                return redirect_to_login(request.get_full_path(), reverse("staff_sign_in"))
            if permission and not request.user.has_perm(permission):
                return render(
                    request,
                    "staff/forbidden.html",
                    {"roles": role_names(request.user), "permission": permission},
                    status=403,
                )
            return view(request, *args, **kwargs)

        wrapped.staff_permission = permission
        wrapped.is_staff_view = True
        return wrapped

    return decorate


def role_names(user) -> list[str]:
    if user.is_superuser:
        return ["Superuser"]
    return [group.name for group in user.groups.all()]
