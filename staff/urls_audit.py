from django.urls import path

from staff.views import audit

urlpatterns = [
    path("", audit.audit_log, name="audit"),
]
