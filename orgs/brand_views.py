"""/brand/<version>.css: the organisation's colours for the public pages and the workspace."""

from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from orgs.brand import brand_stylesheet, brand_version, organisation_current
from orgs.models import DEFAULT_PRIMARY_COLOUR

YEAR = 365 * 24 * 3600
# A stylesheet asked for under an earlier version (a page rendered before the colour
# changed, still kept by a browser or a proxy) gets today's colours, cached briefly.
STALE_VERSION_MAX_AGE = 60
# The page cache keeps the current stylesheet in each web process this long.
KEPT_SECONDS = 60


@require_safe
def brand_css(request, version):
    organisation = organisation_current()
    colour = organisation.primary_colour if organisation else DEFAULT_PRIMARY_COLOUR
    response = HttpResponse(brand_stylesheet(colour), content_type="text/css; charset=utf-8")
    if version == brand_version(colour):
        # The version is a digest of the text: the same URL always means the same file.
        patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
        # Only the current version is kept: made-up versions must not crowd out pages.
        response.shared_cache = KEPT_SECONDS
    else:
        patch_cache_control(response, public=True, max_age=STALE_VERSION_MAX_AGE)
    return response
