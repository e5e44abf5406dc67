"""The demo's first mailing: a segment of subscribed members who have not signed yet, and
the email that asks them, left as a draft for a campaigner to preview, test and send.
Made once: a second run finds both and adds nothing."""

from django.conf import settings

from mailings.models import Mailing, Segment
from mailings.segments import segment_create
from mailings.services import mailing_create

SEGMENT_NAME = "Subscribed, not signed yet"
MAILING_NAME = "Scraping alert: the first ask"

BODY = """\
{{first_name|Friend}}, if you post photos on a social network, please read this now.

A face-recognition company has been copying our photos from social networks, without
asking anyone, to build a search engine for faces. Give it a picture of a stranger and it
can find their other photos, and often their name.

The network's own rules forbid this. It can block the scraping, make the company delete
what it took, and tell us what happened to our pictures. It will act if enough of its
users ask.

[Tell the network to stop the scraping]({{petition_link}})

It takes one click: we already know who you are, so there is no form to fill in.

Thank you for standing up for everyone's photos,

The Open Faces team
"""


def demo_mailing_ensure(*, organisation, petition, by) -> Mailing:
    segment = Segment.objects.filter(organisation=organisation, name=SEGMENT_NAME).first()
    if segment is None:
        definition = {
            "match": "all",
            "conditions": [
                {"kind": "status", "statuses": ["subscribed"]},
                {"kind": "signed", "petition": petition.pk, "negate": True},
            ],
        }
        segment = segment_create(
            organisation=organisation, name=SEGMENT_NAME, definition=definition, by=by
        )
    existing = Mailing.objects.filter(organisation=organisation, name=MAILING_NAME).first()
    if existing is not None:
        return existing
    data = {
        "name": MAILING_NAME,
        "subject": "If you post photos online, read this now",
        "preheader": "A face-recognition company is copying our pictures. One click stops it.",
        "from_address": settings.MAILING_SENDERS[0],
        "body": BODY,
        "petition": petition,
        "segment": segment,
        "variants": [
            "If you post photos online, read this now",
            "{{first_name|Friend}}, your photos are being scraped",
        ],
        "ab_sample_percent": 20,
        "ab_wait_minutes": 120,
        "ab_metric": Mailing.Metric.SIGNATURES,
    }
    return mailing_create(organisation=organisation, data=data, by=by)
