"""The workspace's Mailings section: compose, send, follow, report."""

from django.urls import path

from staff.views import mailings

urlpatterns = [
    path("", mailings.mailing_list, name="mailings"),
    path("new/", mailings.mailing_new, name="mailing_new"),
    path("preview/", mailings.mailing_preview_draft, name="mailing_preview_draft"),
    path("<int:mailing_pk>/", mailings.mailing_detail, name="mailing"),
    path("<int:mailing_pk>/edit/", mailings.mailing_edit, name="mailing_edit"),
    path("<int:mailing_pk>/preview/", mailings.mailing_preview, name="mailing_preview"),
    path("<int:mailing_pk>/test/", mailings.mailing_test, name="mailing_test"),
    path("<int:mailing_pk>/send/", mailings.mailing_send, name="mailing_send"),
    path("<int:mailing_pk>/unschedule/", mailings.mailing_unschedule, name="mailing_unschedule"),
    path("<int:mailing_pk>/pause/", mailings.mailing_pause, name="mailing_pause"),
    path("<int:mailing_pk>/resume/", mailings.mailing_resume, name="mailing_resume"),
    path("<int:mailing_pk>/cancel/", mailings.mailing_cancel, name="mailing_cancel"),
    path("<int:mailing_pk>/retry/", mailings.mailing_retry, name="mailing_retry"),
    path(
        "<int:mailing_pk>/progress.json",
        mailings.mailing_progress_json,
        name="mailing_progress",
    ),
]
