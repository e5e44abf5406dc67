"""Petitions in the workspace. The list, creation, editing and the status actions live
here (staff/views/petitions.py); a petition's tabs in staff/urls_petition_tabs.py; the
moderation of signers' reasons in staff/urls_reasons.py."""

from django.urls import include, path

from staff.views import petitions

urlpatterns = [
    path("", petitions.petition_list, name="petitions"),
    path("<int:pk>/", include("staff.urls_petition_tabs")),
    path("<int:pk>/reasons/", include("staff.urls_reasons")),
]
