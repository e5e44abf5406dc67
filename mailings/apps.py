from django.apps import AppConfig


class MailingsConfig(AppConfig):
    name = "mailings"

    def ready(self):
        # An ESP's bounces and complaints, through django-anymail's webhooks (when on).
        from anymail.signals import tracking

        from mailings.inbound import anymail_tracking

        tracking.connect(anymail_tracking, dispatch_uid="chorus.mailings.anymail_tracking")

        # A signature made with the normal form after a mailing's link: attributed to it.
        from mailings.tracking import signature_member_known_receiver
        from petitions.signals import signature_member_known

        signature_member_known.connect(
            signature_member_known_receiver, dispatch_uid="chorus.mailings.signature_attribute"
        )
