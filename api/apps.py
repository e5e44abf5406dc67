from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "API and webhooks"

    def ready(self):
        # Confirmed signatures reach the webhooks through petitions' signal (petitions may
        # not import this app): the worker's signature_confirmed job sends it.
        from api.webhooks import signature_confirmed_receiver
        from petitions.signals import signature_member_known

        signature_member_known.connect(
            signature_confirmed_receiver, dispatch_uid="chorus.api.webhooks"
        )
