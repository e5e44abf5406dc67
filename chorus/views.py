from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse


def health(request):
    """For load balancers and supervisors: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def admin_permitted(request) -> bool:
    """The operators' admin opens to active superusers only; owners work in /staff/."""
    user = request.user
    return bool(user.is_active and user.is_staff and user.is_superuser)


def admin_sign_in(request):
    """The admin's login URL: the staff sign-in, which asks for the code too.

    The admin sends anyone it refuses here, so a signed-in colleague who is not a
    superuser is told where their work is, instead of going round sign-in and back.
    """
    if request.user.is_authenticated and not admin_permitted(request):
        return render(request, "admin/refused.html", status=403)
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect_to_login(next_url, reverse("staff_sign_in"))
