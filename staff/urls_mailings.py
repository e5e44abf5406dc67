"""The workspace's Mailings section: compose, send, follow, report."""

from django.urls import path

from staff.views import mailings

urlpatterns = [
    path("", mailings.mailing_list, name="mailings"),
]
