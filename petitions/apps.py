from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "petitions"

    def ready(self):
        from lib import visits
        from petitions.models import Channel

        # The page cache counts petition page views under these share tags (lib.visits).
        visits.share_tags = frozenset(value for value in Channel.values if value)
