"""Shared makings of the delivery tests: a pack made to the end, its files read back."""

import csv
import io

import pypdf
from django.utils import timezone

from delivery.models import DeliveryPack
from delivery.packs import pack_path, pack_run, pack_start
from petitions.counting import counts_fold_all
from tests.factories import SignatureFactory


def confirmed(petition, n: int = 1, **fields) -> list:
    rows = SignatureFactory.create_batch(
        n,
        petition=petition,
        state="confirmed",
        confirmed_at=timezone.now(),
        count_dirty=True,
        **fields,
    )
    counts_fold_all()
    return rows


def pack_made(petition, by, *, size: int = 5000) -> DeliveryPack:
    pack = pack_start(petition=petition, by=by)
    while pack_run(pack_pk=pack.pk, size=size):
        pass
    return DeliveryPack.objects.get(pk=pack.pk)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def pack_files(pack: DeliveryPack) -> tuple[bytes, bytes]:
    return pack_path(pack, "pdf").read_bytes(), pack_path(pack, "csv").read_bytes()
