"""What the battery stored is shown escaped wherever it is shown.

Every form that stores text is posted with hostile markup in one field at a time (the
submissions its checks accept are kept); then every signature is made public and every
petition published, and every page of Chorus, public and staff, is opened: none shows a
payload as live markup.
"""

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from petitions.counting import counts_fold_all
from petitions.models import Petition, Signature
from tests.conftest import _local_caches_clear
from tests.hostile import battery as payloads
from tests.hostile.targets import SAMPLES, url_for, url_names, world_make
from tests.hostile.test_hostile_input import Visit, _base, _post

pytestmark = pytest.mark.django_db

HOSTILE = (
    f"{payloads.SCRIPT} {payloads.IMG_ONERROR} [x](javascript:alert(1)) "
    "<iframe src=//evil.example></iframe>\n\n[ref][evil]\n\n[evil]: javascript:alert(1)"
)
# The forms whose text is shown again somewhere.
STORING = [
    "petitions:sign",
    "staff:petition_new",
    "staff:petition_edit",
    "staff:petition_update_new",
    "staff:petition_signature_state",
    "staff:members_consent_rules",
    "staff:mailing_new",
    "staff:segment_new",
    "staff:people_invite",
    "staff:brand",
]


def _store_everything(world) -> int:
    accepted = 0
    for name in STORING:
        visit = Visit(name, world, SAMPLES[name])
        url = url_for(name, world)
        base, _ = _base(visit, url)
        for n, field in enumerate([f for f in base if f not in SAMPLES[name].keep]):
            # A new address each time, or a repeat signature would store nothing new.
            fresh = {"email": [f"hostile{n}@example.org"]} if name == "petitions:sign" else {}
            response, _ = _post(visit, url, base | fresh | {field: [HOSTILE]})
            assert response.status_code < 500, (name, field)
            accepted += response.status_code in (301, 302, 303)
    return accepted


def _everything_public() -> None:
    now = timezone.now()
    Signature.objects.update(state="confirmed", show_name=True, confirmed_at=now,
                             count_dirty=True)  # fmt: skip
    counts_fold_all()
    Petition.objects.update(status="open", published_at=now)
    _local_caches_clear()
    cache.clear()


def test_every_page_shows_stored_payloads_escaped(petition, owner, settings, mailoutbox):
    settings.PUBLIC_JSON_PER_MINUTE = 100_000
    world = world_make(petition, owner)

    accepted = _store_everything(world)
    _everything_public()

    assert accepted >= 5  # the battery did store things to look at
    owner_visit = Visit("staff:home", world, None)  # a /staff/ URL: the owner persona
    public = Client()
    pages = [url_for(name, world) for name in url_names()]
    pages += [f"/p/{slug}/" for slug in Petition.objects.values_list("slug", flat=True)]
    pages += [f"/p/{slug}/signers/" for slug in Petition.objects.values_list("slug", flat=True)]
    problems = []
    for page in pages:
        client = owner_visit.client if page.startswith("/staff/") else public
        if page.endswith("/logout/"):
            continue
        response = client.get(page)
        if response.status_code >= 500:
            problems.append(f"{page}: {response.status_code}")
        is_html = "html" in response.get("Content-Type", "") and not response.streaming
        html = response.content.decode("utf-8", "replace") if is_html else ""
        if markers := payloads.raw_markers_in(html):
            problems.append(f"{page}: {markers}")

    assert problems == []
