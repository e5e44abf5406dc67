from django.apps import AppConfig


class MailingsConfig(AppConfig):
    name = "mailings"

    def ready(self):
        # An ESP's bounces and complaints, through django-anymail's webhooks (when on).
        from anymail.signals import tracking

        from mailings.inbound import anymail_tracking

        tracking.connect(anymail_tracking, dispatch_uid="chorus.mailings.anymail_tracking")
