from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import models, transaction

from orgs.audit_signals import audit_gathered
from orgs.brand_forms import OrganisationAdminForm
from orgs.models import AuditEvent, ExportRecord, Organisation, StaffEvent


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


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only for everyone, superusers included (the database refuses
    changes too). Owners read it in the workspace; this is the operators' view."""

    list_display = ["at", "actor_name", "action", "target", "summary"]
    list_filter = ["action"]
    search_fields = ["target", "summary"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdmin:
    """An admin whose saves record, in their own transaction, who changed which groups,
    permissions and flags (orgs.audit_signals gathers them into one row per account)."""

    def changeform_view(self, request, *args, **kwargs):
        with transaction.atomic(), audit_gathered(by=request.user):
            return super().changeform_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        with transaction.atomic(), audit_gathered(by=request.user):
            return super().changelist_view(request, *args, **kwargs)


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    pass


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass
