"""One petition's tabs: dashboard, overview, signatures, updates, outcome, translations,
fraud, export, embed, delivery (staff/views/petition_dashboard.py, petition_tabs.py,
petition_signatures.py, petition_updates.py, petition_outcome.py, petition_translations.py,
petition_fraud.py, petition_embed.py, petition_delivery.py)."""

from django.urls import path

from staff.views import petition_dashboard as dashboard
from staff.views import petition_delivery as delivery
from staff.views import petition_embed as embed
from staff.views import petition_fraud as fraud
from staff.views import petition_outcome as outcome
from staff.views import petition_signatures as signatures
from staff.views import petition_tabs as tabs
from staff.views import petition_translations as translations
from staff.views import petition_updates as updates

urlpatterns = [
    path("", tabs.petition_overview, name="petition"),
    path("dashboard/", dashboard.petition_dashboard, name="petition_dashboard"),
    path("signatures/", signatures.signature_list, name="petition_signatures"),
    path(
        "signatures/<int:signature_pk>/",
        signatures.signature_detail,
        name="petition_signature",
    ),
    path(
        "signatures/<int:signature_pk>/state/",
        signatures.signature_state,
        name="petition_signature_state",
    ),
    path("updates/", updates.update_list, name="petition_updates"),
    path("updates/new/", updates.update_new, name="petition_update_new"),
    path("updates/<int:update_pk>/edit/", updates.update_edit_view, name="petition_update_edit"),
    path(
        "updates/<int:update_pk>/delete/",
        updates.update_delete_view,
        name="petition_update_delete",
    ),
    path(
        "updates/<int:update_pk>/email/",
        outcome.update_email_view,
        name="petition_update_email",
    ),
    path("outcome/", outcome.petition_outcome, name="petition_outcome"),
    path("translations/", translations.translation_list, name="petition_translations"),
    path(
        "translations/<str:language>/",
        translations.translation_edit,
        name="petition_translation_edit",
    ),
    path(
        "translations/<str:language>/delete/",
        translations.translation_delete,
        name="petition_translation_delete",
    ),
    path("fraud/", fraud.fraud_report_view, name="petition_fraud"),
    path("fraud/signatures/", fraud.fraud_signatures, name="petition_fraud_signatures"),
    path("fraud/bulk/", fraud.bulk_action_new, name="petition_bulk_action_new"),
    path("fraud/bulk/<int:bulk_pk>/", fraud.bulk_action_detail, name="petition_bulk_action"),
    path(
        "fraud/bulk/<int:bulk_pk>/cancel/",
        fraud.bulk_action_cancel_view,
        name="petition_bulk_action_cancel",
    ),
    path(
        "fraud/bulk/<int:bulk_pk>/reverse/",
        fraud.bulk_action_reverse_view,
        name="petition_bulk_action_reverse",
    ),
    path("export/", tabs.petition_export, name="petition_export"),
    path("embed/", embed.petition_embed, name="petition_embed"),
    path("delivery/", delivery.delivery_tab, name="petition_delivery"),
    path("delivery/packs/", delivery.delivery_pack_new, name="petition_delivery_pack_new"),
    path(
        "delivery/packs/<int:pack_pk>/cancel/",
        delivery.delivery_pack_cancel,
        name="petition_delivery_pack_cancel",
    ),
    path(
        "delivery/packs/<int:pack_pk>/delete/",
        delivery.delivery_pack_delete,
        name="petition_delivery_pack_delete",
    ),
    path(
        "delivery/packs/<int:pack_pk>/pdf/",
        delivery.delivery_pack_pdf,
        name="petition_delivery_pack_pdf",
    ),
    path(
        "delivery/packs/<int:pack_pk>/csv/",
        delivery.delivery_pack_csv,
        name="petition_delivery_pack_csv",
    ),
    path(
        "delivery/milestones/",
        delivery.delivery_milestones,
        name="petition_delivery_milestones",
    ),
]
