"""Segments of members, built from conditions, under Mailings."""

from django.urls import path

from staff.views import segments

urlpatterns = [
    path("", segments.segment_list, name="segments"),
    path("new/", segments.segment_new, name="segment_new"),
    path("count/", segments.segment_count, name="segment_count"),
    path("<int:segment_pk>/", segments.segment_edit, name="segment_edit"),
    path("<int:segment_pk>/delete/", segments.segment_delete_view, name="segment_delete"),
]
