import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
django_application = get_wsgi_application()

from chorus.datafiles import data_files_warn  # noqa: E402 - needs the settings configured above
from chorus.pagecache import KeptPagesDoor  # noqa: E402

data_files_warn()  # system checks do not run in a web server

# Kept pages (the petition page, the count) are answered before Django builds a request.
application = KeptPagesDoor(django_application)


def _warm_and_freeze() -> None:
    """Load every view now, then exempt what is loaded from garbage collection.

    Django, its apps and the URLconf are some hundred thousand objects that live as
    long as the process. Left in the collector's oldest generation, each full
    collection walks them all, a pause of tens of milliseconds in the middle of
    whichever requests were running: it showed as the tail of the sign path's
    latency. Frozen, a collection only walks what requests created.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view
    gc.collect()
    gc.freeze()


_warm_and_freeze()
