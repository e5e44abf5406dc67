from django.contrib import admin
from django.db import models

from orgs.brand_forms import OrganisationAdminForm
from orgs.models import ExportRecord, Organisation, StaffEvent


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ["name", "privacy_email"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        return not Organisation.objects.exists()


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    """The export log, read-only for everyone: only the export service writes to it."""

    list_display = ["at", "user", "what", "row_count", "outcome"]
    list_filter = ["outcome"]
    list_select_related = ["user"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in ExportRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffEvent)
class StaffEventAdmin(admin.ModelAdmin):
    """Who did what to which staff account: read-only, written by orgs.people only."""

    list_display = ["at", "actor", "action", "user", "detail"]
    list_filter = ["action"]
    list_select_related = ["actor", "user"]
    readonly_fields = [f.name for f in StaffEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
