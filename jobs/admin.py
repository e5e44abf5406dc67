from django.contrib import admin, messages

from jobs.models import Job
from jobs.services import job_retry


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "state", "attempts", "run_after", "created_at", "done_at"]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in Job._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    # Retrying changes the ledger: staff who may only look at jobs do not get the action.
    @admin.action(description="Retry the selected jobs", permissions=["change"])
    def retry(self, request, queryset):
        for job in queryset:
            job_retry(job=job)
        messages.success(request, f"{queryset.count()} job(s) will run again shortly.")
