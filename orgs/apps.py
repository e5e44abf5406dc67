from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "orgs"

    def ready(self) -> None:
        from orgs.audit_signals import audit_signals_connect

        audit_signals_connect()
