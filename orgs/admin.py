from django.contrib import admin

from orgs.models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "privacy_email"]

    def has_add_permission(self, request):
        return not Organisation.objects.exists()
