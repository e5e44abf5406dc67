from django.core.cache import cache

from orgs.models import Organisation


def organisation(request):
    org = cache.get("chorus:organisation")
    if org is None:
        org = Organisation.objects.current()
        cache.set("chorus:organisation", org, 60)
    return {"organisation": org}
