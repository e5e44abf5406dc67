from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from chorus.views import health
from petitions.views import home, petition_preview

admin.site.site_header = "Chorus staff"
admin.site.site_title = "Chorus"

urlpatterns = [
    path("staff/petitions/<int:pk>/preview/", petition_preview, name="petition_preview"),
    path("staff/", include("orgs.signin_urls")),  # before the admin: its login and logout
    path("staff/", admin.site.urls),
    path("", include("petitions.urls")),
    path("", home, name="home"),
    path("healthz", health, name="health"),
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]

# Error pages that never read the request body (Django's run the CSRF check, which does).
handler400 = "chorus.middleware.bad_request"
handler500 = "chorus.middleware.server_error"
