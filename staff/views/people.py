from django.contrib.auth.models import User
from django.shortcuts import render

from staff.access import staff_view


@staff_view("auth.view_user")
def people_list(request):
    people = User.objects.filter(is_staff=True).prefetch_related("groups").order_by("username")
    return render(request, "staff/people/list.html", {"people": people})
