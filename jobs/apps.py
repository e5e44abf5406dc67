from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "jobs"

    def ready(self):
        # Every app's job kinds and periodic loops, from its own jobs.py.
        autodiscover_modules("jobs")
