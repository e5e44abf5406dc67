from django.contrib import admin

from partners.models import Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at", "created_by"]
