from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"

    def ready(self):
        # Job handlers register themselves when their modules are imported.
        import members.services  # noqa: F401
        import petitions.emails  # noqa: F401
