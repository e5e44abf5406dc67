from django.contrib import admin

from lib.forms import CleanModelForm
from members.models import ConsentRecord, Member


class ConsentInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    can_delete = False
    readonly_fields = ["topic", "action", "wording", "wording_version", "source", "at"]
    exclude = ["signature"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    form = CleanModelForm
    list_display = ["email", "first_name", "last_name", "country", "subscribed", "created_at"]
    list_filter = ["subscribed", "country"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["email_key", "created_at", "updated_at"]
    inlines = [ConsentInline]
