"""No page of a petition's tabs shows a signature's internal columns, to any role.

Each page is read whole and searched for the values themselves (not for labels), so a
column that leaks under any name, in any attribute, is caught.
"""

import pytest
from django.utils import timezone

from petitions.counting import counts_fold_all
from petitions.models import Signature, SignatureEvent, Update
from tests.factories import SignatureFactory
from tests.workspace.walk import workspace_urls

pytestmark = pytest.mark.django_db

INTERNAL = {
    "ip_hash": "9f2b5c0e" * 8,
    "ip_prefix": "198.51.100.0/24",
    "token_hash": "c0ffee42" * 8,
    "token_nonce": "n0nce5ecret7a1b2",
}


def _signature(petition) -> Signature:
    signature = SignatureFactory(
        petition=petition,
        state="confirmed",
        confirmed_at=timezone.now(),
        count_dirty=True,
        code="publiccode123",
        **INTERNAL,
    )
    counts_fold_all()
    SignatureEvent.objects.create(signature=signature, from_state="pending", to_state="confirmed")
    return signature


def _tab_pages(petition, signature, update) -> list[str]:
    samples = {"pk": petition.pk, "signature_pk": signature.pk, "update_pk": update.pk}
    prefix = f"/staff/petitions/{petition.pk}/"
    urls = [
        u
        for u in workspace_urls(
            {
                **samples,
                "user_pk": 1,
                "invitation_pk": 1,
                "member_pk": 1,
                "import_pk": 1,
                "token": "x",
                "segment_pk": 1,
                "mailing_pk": 1,
                "bulk_pk": 1,
                "pack_pk": 1,
                "partner_pk": 1,
                "apitoken_pk": 1,
                "endpoint_pk": 1,
                "language": "fr",
            }
        )
    ]
    tabs = [u.path for u in urls if u.path.startswith(prefix) and not u.path.endswith("/state/")]
    searches = [prefix + "signatures/?q=ada", prefix + f"signatures/?q={signature.email}"]
    return tabs + searches


@pytest.mark.parametrize("persona", ["owner_client", "campaigner_client", "analyst_client"])
def test_no_tab_shows_an_ip_fingerprint_a_link_secret_or_the_public_code(
    persona, petition, request
):
    client = request.getfixturevalue(persona)
    signature = _signature(petition)
    update = Update.objects.create(
        petition=petition, title="News", body="Body", published_at=timezone.now()
    )
    pages = _tab_pages(petition, signature, update)
    assert len(pages) >= 8

    for path in pages:
        response = client.get(path)
        body = response.content.decode()
        for column, value in INTERNAL.items():
            if column == "ip_prefix" and "/fraud/" in path:
                continue  # the fraud tab shows networks on purpose (and nothing finer)
            assert value not in body, (path, column)
        assert "publiccode123" not in body, path


def test_the_export_file_holds_none_of_them_either(owner_client, petition):
    _signature(petition)

    response = owner_client.post(f"/staff/petitions/{petition.pk}/export/", {"scope": "live"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    for value in [*INTERNAL.values(), "publiccode123"]:
        assert value not in body
