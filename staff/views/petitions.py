from django.shortcuts import render

from petitions.models import Petition
from staff.access import staff_view


@staff_view("petitions.view_petition")
def petition_list(request):
    petitions = Petition.objects.order_by("-created_at")
    return render(request, "staff/petitions/list.html", {"petitions": petitions})
