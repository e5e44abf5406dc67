"""The workspace at /staff/. Each area keeps its URLs in its own module."""

from django.urls import include, path

from staff.views import home

app_name = "staff"

urlpatterns = [
    path("", home.home, name="home"),
    path("petitions/", include("staff.urls_petitions")),
    path("members/", include("staff.urls_members")),
    path("mailings/", include("staff.urls_mailings")),
    path("mailings/segments/", include("staff.urls_segments")),
    path("people/", include("staff.urls_people")),
    path("organisation/", include("staff.urls_brand")),
    path("audit/", include("staff.urls_audit")),
    path("partners/", include("staff.urls_partners")),
]
