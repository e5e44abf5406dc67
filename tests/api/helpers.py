"""Shared pieces of the API tests: folded counts, signatures with personal data."""

import ipaddress
import itertools
import re

from django.utils import timezone

from petitions.counting import counts_fold_all
from petitions.models import Signature
from tests.factories import SignatureFactory

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_serial = itertools.count()
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:]*", re.IGNORECASE)


def confirmed_signatures(petition, countries: list[str], **extra) -> list[Signature]:
    """Confirmed signatures, each with an address and a network, folded into the counts."""
    made = [
        SignatureFactory(
            petition=petition,
            country=country,
            email=f"person{next(_serial)}@example.org",
            ip_prefix=f"198.51.{n}.0",
            state=Signature.State.CONFIRMED,
            count_dirty=True,
            **extra,
        )
        for n, country in enumerate(countries)
    ]
    Signature.objects.filter(pk__in=[s.pk for s in made]).update(confirmed_at=timezone.now())
    counts_fold_all()
    return made


def _address(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def personal_data_in(text: str) -> list[str]:
    """Email addresses and IP addresses (v4 or v6) anywhere in `text`."""
    found = EMAIL.findall(text)
    found += [m for m in IPV4.findall(text) + IPV6.findall(text) if _address(m)]
    return found
