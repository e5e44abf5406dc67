from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import JsonResponse
from django.urls import reverse


def health(request):
    """For load balancers and supervisors: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def admin_sign_in(request):
    """The admin's login URL: the staff sign-in, which asks for the code too."""
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect_to_login(next_url, reverse("staff_sign_in"))
