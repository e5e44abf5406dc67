"""Partners, their API tokens and webhook endpoints (staff/views/partners.py)."""

from django.urls import path

from staff.views import partners

urlpatterns = [
    path("", partners.partner_list, name="partners"),
    path("new/", partners.partner_new, name="partner_new"),
    path("<int:partner_pk>/", partners.partner_detail, name="partner"),
    path("<int:partner_pk>/active/", partners.partner_active, name="partner_active"),
    path("<int:partner_pk>/tokens/", partners.token_new, name="partner_token_new"),
    path(
        "<int:partner_pk>/tokens/<int:apitoken_pk>/revoke/",
        partners.token_revoke,
        name="partner_token_revoke",
    ),
    path("<int:partner_pk>/webhooks/", partners.webhook_new, name="partner_webhook_new"),
    path(
        "<int:partner_pk>/webhooks/<int:endpoint_pk>/",
        partners.webhook_log,
        name="partner_webhook",
    ),
    path(
        "<int:partner_pk>/webhooks/<int:endpoint_pk>/test/",
        partners.webhook_test,
        name="partner_webhook_test",
    ),
    path(
        "<int:partner_pk>/webhooks/<int:endpoint_pk>/off/",
        partners.webhook_off,
        name="partner_webhook_off",
    ),
]
