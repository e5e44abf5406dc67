from django.apps import AppConfig


class ChorusConfig(AppConfig):
    name = "chorus"

    def ready(self):
        from django.db import connections

        from chorus.dbpool import pool_check_install

        for alias in connections:
            pool_check_install(connections[alias])
