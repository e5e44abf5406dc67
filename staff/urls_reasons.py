"""Signers' reasons on one petition, and hiding them (staff/views/reasons.py)."""

from django.urls import path

from staff.views import reasons

urlpatterns = [
    path("", reasons.petition_reasons, name="petition_reasons"),
    path("<int:signature_pk>/hide/", reasons.petition_reason_hide, name="petition_reason_hide"),
]
