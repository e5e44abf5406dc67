"""The operators' view of members. Subscriptions and addresses are read-only here:
changing either goes through members.services (the workspace's member page), so the
consent ledger records every change and the email key always matches the address."""

from django.contrib import admin

from lib.forms import CleanModelForm
from members.models import ConsentRecord, CountryConsentRule, Member, Suppression

# Fields only members.services may change.
SERVICE_FIELDS = ["email", "email_key", "status", "status_changed_at", "status_reason"]


class ConsentInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    fields = [
        "at",
        "topic",
        "action",
        "source_kind",
        "source",
        "wording",
        "wording_version",
        "reason",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    form = CleanModelForm
    list_display = ["email", "first_name", "last_name", "country", "status", "created_at"]
    list_filter = ["status", "country"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = [*SERVICE_FIELDS, "created_at", "updated_at"]
    inlines = [ConsentInline]

    def has_add_permission(self, request):
        # A member is made from a proven address (or, later, an import), never typed in.
        return False


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email_key", "reason", "at"]
    list_filter = ["reason"]
    search_fields = ["email_key"]
    readonly_fields = ["organisation", "email_key", "reason", "at", "by", "note"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CountryConsentRule)
class CountryConsentRuleAdmin(admin.ModelAdmin):
    form = CleanModelForm
    list_display = ["country", "double_opt_in", "note", "updated_at"]
