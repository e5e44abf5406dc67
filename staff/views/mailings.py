"""The workspace's Mailings section."""

from django.shortcuts import render

from mailings.models import Mailing
from orgs.models import Organisation
from staff.access import staff_view


@staff_view("mailings.view_mailing")
def mailing_list(request):
    organisation = Organisation.objects.current()
    mailings = Mailing.objects.filter(organisation=organisation).select_related("segment")
    return render(request, "staff/mailings/list.html", {"mailings": mailings[:200]})
