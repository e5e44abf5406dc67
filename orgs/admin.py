from django.contrib import admin
from django.db import models

from lib.forms import CleanModelForm
from orgs.models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = CleanModelForm
    list_display = ["name", "privacy_email"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        return not Organisation.objects.exists()
