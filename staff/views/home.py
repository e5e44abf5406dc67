from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from staff.access import staff_view
from staff.navigation import sections_for


@staff_view(None)
@require_safe
def home(request):
    """The workspace's front door: the first section the person's role can open."""
    sections = sections_for(request.user)
    if not sections:
        return render(request, "staff/no_role.html")
    return redirect(sections[0].url_name)
