from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from jobs.services import job_record
from lib.forms import CleanModelForm
from orgs.exports import export_allowed
from petitions.counting import petition_count
from petitions.exports import signatures_export_response
from petitions.forms import PetitionAdminForm
from petitions.jobs import PETITION_RECOUNT
from petitions.models import Petition, Signature, SignatureEvent, Source, Update
from petitions.services import (
    PetitionTransitionRefused,
    SignatureStateRefused,
    petition_close,
    petition_declare_victory,
    petition_publish,
    petition_reopen,
    signature_set_state,
)

UNDELETABLE = (
    "This petition has signatures, so it cannot be deleted: close it to stop signing. "
    "Signatures are never deleted in the staff area; mark one invalidated or fraudulent "
    "to take it out of the count."
)


class ExportActionsMixin:
    """Export actions are offered only to staff holding the export permission."""

    def has_export_permission(self, request) -> bool:
        return export_allowed(request.user)


class SourceInline(admin.TabularInline):
    model = Source
    form = CleanModelForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    extra = 1


class UpdateInline(admin.StackedInline):
    model = Update
    form = CleanModelForm
    extra = 0


@admin.register(Petition)
class PetitionAdmin(ExportActionsMixin, admin.ModelAdmin):
    form = PetitionAdminForm
    list_display = ["title", "status", "confirmed_count", "goal", "published_at", "view_link"]
    list_filter = ["status"]
    search_fields = ["title", "target", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    # The status changes only through the actions (and the workspace's), which log who.
    readonly_fields = ["status", "goal", "published_at", "closed_at"]
    inlines = [SourceInline, UpdateInline]
    actions = ["publish", "close", "reopen", "declare_victory", "export_signatures", "recount"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organisation",
                    "title",
                    "slug",
                    "target",
                    "summary",
                    "story",
                    "language",
                ]
            },
        ),
        ("Image", {"fields": ["image", "image_alt"]}),
        (
            "Signing",
            {
                "fields": [
                    "status",
                    "require_confirmation",
                    "goal",
                    "published_at",
                    "closed_at",
                ]
            },
        ),
    ]

    @admin.display(description="Confirmed")
    def confirmed_count(self, petition):
        return petition_count(petition)

    @admin.display(description="Page")
    def view_link(self, petition):
        label = "View" if petition.status != Petition.Status.DRAFT else "Preview"
        url = reverse("petition_preview", args=[petition.pk])
        if petition.status != Petition.Status.DRAFT:
            url = petition.get_absolute_url()
        return format_html('<a href="{}" target="_blank">{}</a>', url, label)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.signatures.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Deleting in bulk would list every protected signature by name; a petition that
        # may go is deleted from its own page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.signatures.exists():
            return fieldsets
        name, options = fieldsets[-1]
        return [*fieldsets[:-1], (name, {**options, "description": UNDELETABLE})]

    def _transition(self, request, queryset, service, done: str):
        moved = 0
        for petition in queryset:
            try:
                service(petition=petition, by=request.user)
                moved += 1
            except PetitionTransitionRefused as refused:
                messages.warning(request, f"{petition.title}: {refused}")
        if moved:
            messages.success(request, f"{done} {moved} petition(s).")

    @admin.action(description="Publish the selected petitions", permissions=["change"])
    def publish(self, request, queryset):
        self._transition(request, queryset, petition_publish, "Published")

    @admin.action(description="Close the selected petitions", permissions=["change"])
    def close(self, request, queryset):
        self._transition(request, queryset, petition_close, "Closed")

    @admin.action(description="Reopen the selected petitions", permissions=["change"])
    def reopen(self, request, queryset):
        self._transition(request, queryset, petition_reopen, "Reopened")

    @admin.action(description="Declare victory on the selected petitions", permissions=["change"])
    def declare_victory(self, request, queryset):
        self._transition(request, queryset, petition_declare_victory, "Declared victory on")

    @admin.action(
        description="Recount the selected petitions from their signatures", permissions=["change"]
    )
    def recount(self, request, queryset):
        for petition in queryset:
            job_record(kind=PETITION_RECOUNT, payload={"petition": petition.pk})
        messages.success(request, "Recount queued; the counts update within a few seconds.")

    @admin.action(
        description="Export the signatures of the selected petitions (CSV)",
        permissions=["export"],
    )
    def export_signatures(self, request, queryset):
        petitions = list(queryset.order_by("id").values_list("id", "title"))
        return signatures_export_response(
            request,
            Signature.objects.filter(petition__in=[pk for pk, _ in petitions]),
            what=f"Signatures of {len(petitions)} petition(s): "
            + "; ".join(title for _, title in petitions),
            scope="petition ids " + ", ".join(str(pk) for pk, _ in petitions),
            filename=_export_filename(queryset),
        )


def _export_filename(petitions) -> str:
    """<slug>-signatures-<day>.csv for one petition; signatures-<day>.csv for several."""
    today = timezone.now().date().isoformat()
    slugs = list(petitions.values_list("slug", flat=True)[:2])
    return f"{slugs[0]}-signatures-{today}.csv" if len(slugs) == 1 else f"signatures-{today}.csv"


class SignatureEventInline(admin.TabularInline):
    model = SignatureEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "at", "by", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Signature)
class SignatureAdmin(ExportActionsMixin, admin.ModelAdmin):
    list_display = [
        "first_name",
        "last_name",
        "email",
        "country",
        "state",
        "channel",
        "created_at",
        "petition",
    ]
    list_filter = ["state", "petition", "channel", "opt_in", "show_name", "country"]
    search_fields = ["email", "first_name", "last_name", "postcode"]
    list_select_related = ["petition"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    # The link's nonce and hash stay out of sight: `exclude` alone does not hide a
    # read-only field.
    readonly_fields = [
        f.name for f in Signature._meta.fields if f.name not in ("token_hash", "token_nonce")
    ]
    exclude = ["token_hash", "token_nonce"]
    inlines = [SignatureEventInline]
    actions = ["export_csv", "mark_fraudulent", "invalidate", "reinstate"]

    def has_add_permission(self, request):
        return False

    # Removing a signature is a change of state, logged in its events; erasing one is a
    # process of its own, never a delete button.
    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export the selected signatures (CSV)", permissions=["export"])
    def export_csv(self, request, queryset):
        if request.POST.get("select_across") == "1":
            filters = request.GET.urlencode() or "none"
            scope = f"every signature the staff list showed; filters: {filters}"
        else:
            chosen = sorted(queryset.values_list("pk", flat=True))
            scope = "signature ids " + ", ".join(str(pk) for pk in chosen)
        return signatures_export_response(
            request, queryset, what="Selected signatures", scope=scope
        )

    def _move(self, request, queryset, state, note):
        moved = 0
        for signature in queryset:
            try:
                signature_set_state(signature=signature, state=state, by=request.user, note=note)
                moved += 1
            except SignatureStateRefused as refused:
                messages.error(request, f"{signature}: {refused}")
        messages.success(request, f"{moved} signature(s) now {state}.")

    @admin.action(description="Mark as fraudulent", permissions=["change"])
    def mark_fraudulent(self, request, queryset):
        self._move(request, queryset, Signature.State.FRAUDULENT, "marked fraudulent by staff")

    @admin.action(description="Invalidate", permissions=["change"])
    def invalidate(self, request, queryset):
        self._move(request, queryset, Signature.State.INVALIDATED, "invalidated by staff")

    @admin.action(description="Reinstate as confirmed", permissions=["change"])
    def reinstate(self, request, queryset):
        self._move(request, queryset, Signature.State.CONFIRMED, "reinstated by staff")
