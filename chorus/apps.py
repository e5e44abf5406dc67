from django.apps import AppConfig


class ChorusConfig(AppConfig):
    name = "chorus"

    def ready(self):
        from django.db.backends.signals import connection_created

        from chorus.dbpool import pool_check_install

        connection_created.connect(pool_check_install, dispatch_uid="chorus.dbpool")
