from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from chorus.views import admin_permitted, admin_sign_in, health
from orgs.brand_views import brand_css
from petitions.views import home, petition_preview

admin.site.site_header = "Chorus operators' admin"
admin.site.site_title = "Chorus admin"
# Superusers only: owners and everyone else work in the workspace at /staff/.
admin.site.has_permission = admin_permitted

urlpatterns = [
    path("staff/petitions/<int:pk>/preview/", petition_preview, name="petition_preview"),
    # Django's set_language: the staff header's language switcher posts here (the cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("orgs.signin_urls")),
    path("staff/", include("staff.urls")),
    # The operators' admin signs in through the staff sign-in (password and code), never
    # through its own form.
    path("admin/login/", admin_sign_in, name="admin_sign_in"),
    path("admin/", admin.site.urls),
    re_path(r"^brand/(?P<version>[0-9a-f]{12})\.css$", brand_css, name="brand_css"),
    path("api/v1/", include("api.urls")),
    path("healthz", health, name="health"),
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]

# The public pages, in English at their plain URLs and in each other language under its
# code: /fr/p/<slug>/ (docs/languages.md; chorus/languages.py decides which one a request
# gets). Emails rendered in a signer's language link to that language's pages.
urlpatterns += i18n_patterns(
    path("", include("petitions.urls")),
    path("", include("members.urls")),
    path("", include("mailings.urls")),
    path("", include("rights.urls")),
    path("", home, name="home"),
    prefix_default_language=False,
)

# An ESP's bounce and complaint webhooks (django-anymail), only when one is configured:
# mailings.inbound.anymail_tracking receives their events.
if settings.MAILING_ANYMAIL_WEBHOOKS:
    urlpatterns.insert(0, path("anymail/", include("anymail.urls")))

# Error pages that never read the request body (Django's run the CSRF check, which does).
handler400 = "chorus.middleware.bad_request"
handler500 = "chorus.middleware.server_error"
