from django.apps import AppConfig


class ChorusConfig(AppConfig):
    name = "chorus"

    def ready(self):
        from django.core import checks
        from django.db.backends.signals import connection_created

        from chorus.datafiles import data_files_check, sqlite_files_restrict

        connection_created.connect(sqlite_files_restrict, dispatch_uid="chorus.datafiles")
        checks.register(data_files_check, checks.Tags.security)

        from chorus.pagecache import petition_pages_forget
        from petitions.signals import petition_page_changed

        petition_page_changed.connect(petition_pages_forget, dispatch_uid="chorus.pagecache")
