from django.shortcuts import render

from staff.access import staff_view


@staff_view("orgs.change_organisation")
def brand_show(request):
    return render(request, "staff/brand/show.html")
