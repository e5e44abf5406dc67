"""Petitions in the workspace. The list, creation, editing and the status actions live
here (staff/views/petitions.py); a petition's tabs in staff/urls_petition_tabs.py; the
moderation of signers' reasons in staff/urls_reasons.py."""

from django.urls import include, path

from staff.views import petitions

urlpatterns = [
    path("", petitions.petition_list, name="petitions"),
    path("new/", petitions.petition_new, name="petition_new"),
    path(
        "preview-markdown/",
        petitions.petition_preview_markdown,
        name="petition_preview_markdown",
    ),
    path("<int:pk>/edit/", petitions.petition_edit, name="petition_edit"),
    path("<int:pk>/publish/", petitions.petition_publish_view, name="petition_publish"),
    path("<int:pk>/close/", petitions.petition_close_view, name="petition_close"),
    path("<int:pk>/reopen/", petitions.petition_reopen_view, name="petition_reopen"),
    path("<int:pk>/victory/", petitions.petition_victory_view, name="petition_victory"),
    path("<int:pk>/", include("staff.urls_petition_tabs")),
    path("<int:pk>/reasons/", include("staff.urls_reasons")),
]
