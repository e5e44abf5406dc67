"""The demo's campaign: its petitions, image, signers and updates. Each step is done once:
a second run finds what the first made and adds nothing."""

import datetime
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from chorus.demo.image import ALT_TEXT, petition_image_webp
from chorus.demo.signers import SIGNER_DOMAIN, Plan, demo_signatures
from petitions.counting import petition_recount
from petitions.jobs import member_from_signature
from petitions.links import new_link
from petitions.models import Petition, Signature, SignatureEvent, Source, Update
from petitions.services import (
    petition_declare_victory,
    petition_publish,
    petition_response_set,
    signature_set_state,
)

DEMO_SLUG = "stop-face-scraping"
# How long the demo campaign has been running: its signers spread over these days.
CAMPAIGN_DAYS = 21

STORY = """\
Every day, millions of us post photos of our families, our friends and
ourselves. We share them with people we know. We never agreed to share them
with a company that builds face-recognition tools.

Reporters found that one such company copied billions of photos from social
networks, without asking anyone, and used them to build a search engine for
faces. Upload a picture of a stranger, and it can find other photos of that
person, and often their name.

**The social network holds the key.** Its own rules forbid scraping, but rules
on paper do not stop scrapers. It can block the scraping, demand that the
company deletes the photos it took, and tell us, its users, what happened to
our pictures.

Our faces are not raw material. Sign now and tell the network to stop the
scraping of our photos.
"""

SOURCES = [
    {
        "publisher": "CBS News",
        "published_on": datetime.date(2020, 2, 5),
        "title": "Google, YouTube, Venmo and LinkedIn send cease-and-desist letters to facial "
        "recognition app that helps law enforcement",
        "url": "https://www.cbsnews.com/news/clearview-ai-google-youtube-send-"
        "cease-and-desist-letter-to-facial-recognition-app/",
    },
    {
        "publisher": "The New York Times",
        "published_on": datetime.date(2020, 1, 18),
        "title": "The Secretive Company That Might End Privacy as We Know It",
        "url": "https://www.nytimes.com/2020/01/18/technology/"
        "clearview-privacy-facial-recognition.html",
    },
]

# (days ago, title, body): what the campaign told its signers as it went.
UPDATES = [
    (
        17,
        "One hundred of us, in four days",
        "Thank you. A hundred people signed in the first four days, from eleven countries. "
        "Forward the petition to one friend who posts family photos: that is how it grows.",
    ),
    (
        6,
        "The story is in the news",
        "A national newspaper ran the story of the scraped photos this morning, and more "
        "of you signed today than in the whole first week. PhotoCircle has not answered yet.",
    ),
    (
        1,
        "We have asked for a meeting",
        "We wrote to PhotoCircle's head of trust and safety, asking to hand over the "
        "petition in person. We will tell you here when they reply.",
    ),
]

DRAFT = {
    "slug": "city-camera-register",
    "title": "Publish a register of every camera the city points at us",
    "target": "Riverside City Council",
    "summary": "The council runs hundreds of street cameras. Ask it to publish where they "
    "are, what they record and who sees it.",
    "story": "A draft, not yet public: the campaign team is still checking the numbers.\n\n"
    "Riverside's council will not say how many of its cameras can recognise faces. "
    "**A public register** would let every resident know.",
}

WON = {
    "slug": "school-photos-stay-private",
    "title": "Keep our children's school photos out of face-recognition training",
    "target": "BrightFrame, the school photo company",
    "summary": "BrightFrame planned to sell school portraits to train face-recognition "
    "systems. Parents said no, and it dropped the plan.",
    "story": "School portraits are taken for families, not for machine learning.\n\n"
    "**We won:** BrightFrame wrote to every school it serves to say that no portrait will "
    "be used to train any system, and that the deal is off.",
}

WON_RESPONSE = (
    "No school portrait taken by BrightFrame will be used to train any face-recognition "
    "system. We have ended the agreement and written to every school we serve."
)


def demo_campaign_ensure(*, organisation, by) -> Petition:
    """The demo petition with its sources, image, signers and updates, and two more
    petitions (a draft and a victory) so the workspace list has something to sort."""
    now = timezone.now()
    petition = _petition_ensure(
        organisation,
        slug=DEMO_SLUG,
        title="Stop the scraping of our photos for face recognition",
        target="PhotoCircle, the social network",
        summary="A face-recognition company is copying our photos from PhotoCircle. Tell the "
        "network to stop it.",
        story=STORY,
        created_at=now - timedelta(days=CAMPAIGN_DAYS + 2),
        published_at=now - timedelta(days=CAMPAIGN_DAYS),
    )
    if not petition.sources.exists():
        Source.objects.bulk_create(
            [Source(petition=petition, position=n, **s) for n, s in enumerate(SOURCES, 1)]
        )
    _image_ensure(petition)
    _signers_ensure(petition, Plan(confirmed=430, pending=14, invalidated=2), by=by, now=now)
    for days_ago, title, body in UPDATES:
        Update.objects.get_or_create(
            petition=petition,
            title=title,
            defaults={"body": body, "published_at": now - timedelta(days=days_ago, hours=3)},
        )
    _petition_ensure(organisation, created_at=now - timedelta(days=2), publish=False, **DRAFT)
    won = _petition_ensure(
        organisation,
        created_at=now - timedelta(days=80),
        published_at=now - timedelta(days=75),
        **WON,
    )
    _signers_ensure(won, Plan(confirmed=180, seed=2019), by=by, now=now - timedelta(days=9))
    if won.status == Petition.Status.OPEN:
        petition_declare_victory(petition=won, by=by)
        petition_response_set(
            petition=won,
            text=WON_RESPONSE,
            on=(now - timedelta(days=9)).date(),
            url="",
            by=by,
        )
    return petition


def _petition_ensure(
    organisation, *, slug: str, created_at, publish: bool = True, **fields
) -> Petition:
    petition, created = Petition.objects.get_or_create(
        slug=slug, defaults={"organisation": organisation, **fields}
    )
    if created:
        # Written a moment ago; the demo's petitions were started weeks apart.
        Petition.objects.filter(pk=petition.pk).update(created_at=created_at)
        if publish:
            petition_publish(petition=petition)  # keeps the published_at given above
        petition.refresh_from_db()
    return petition


def _image_ensure(petition: Petition) -> None:
    """Drawn in code (chorus/demo/image.py), stored where uploaded petition images go."""
    if petition.image and petition.image.storage.exists(petition.image.name):
        return
    petition.image.save("demo-petition.webp", ContentFile(petition_image_webp()), save=False)
    petition.image_alt = ALT_TEXT
    petition.save(update_fields=["image", "image_alt", "updated_at"])


def _signers_ensure(petition: Petition, plan: Plan, *, by, now) -> None:
    """Demo signers, inserted set-wise, then counted by a recount (as staff would ask)."""
    if petition.signatures.filter(email__endswith=f"@{SIGNER_DOMAIN}").exists():
        return
    with transaction.atomic():
        signatures = demo_signatures(petition_id=petition.pk, now=now, plan=plan)
        created_at = [s.created_at for s in signatures]
        for signature in signatures:
            if signature.state == Signature.State.PENDING:
                for column, value in new_link().items():  # a link they could still follow
                    setattr(signature, column, value)
        Signature.objects.bulk_create(signatures, batch_size=500)
        # auto_now_add stamped every row with this moment; give each its own time back.
        for signature, moment in zip(signatures, created_at, strict=True):
            signature.created_at = moment
        Signature.objects.bulk_update(signatures, ["created_at"], batch_size=500)
        confirmed = [s for s in signatures if s.state == Signature.State.CONFIRMED]
        _confirmation_events(confirmed)
        for signature in confirmed:
            signature.petition = petition
            member_from_signature(signature=signature)
        for signature in confirmed[-plan.invalidated :] if plan.invalidated else []:
            signature_set_state(
                signature=signature,
                state=Signature.State.INVALIDATED,
                by=by,
                note="Signed twice under two addresses (demo)",
            )
    petition_recount(petition=petition)


def _confirmation_events(signatures: list[Signature]) -> None:
    events = SignatureEvent.objects.bulk_create(
        [
            SignatureEvent(
                signature=s, from_state="pending", to_state="confirmed", note="email link"
            )
            for s in signatures
        ],
        batch_size=500,
    )
    for event, signature in zip(events, signatures, strict=True):
        event.at = signature.confirmed_at
    SignatureEvent.objects.bulk_update(events, ["at"], batch_size=500)
