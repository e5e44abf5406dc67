"""A person Chorus knows well, made the way they became known, and how to look for them."""

import re

from django.db import connection
from django.utils import timezone

from jobs.services import jobs_drain
from mailings.models import Click
from members.models import ConsentRecord, Member
from members.services import member_unsubscribe
from petitions.services import signature_create
from tests.conftest import REQUEST_META, sign_data
from tests.factories import MailingFactory, PetitionFactory, RecipientFactory

# Gmail ignores dots and +tags: these are one person, signing with two spellings.
ADDRESS = "ada.lovelace@gmail.com"
VARIANT = "Ada.Love.lace+petitions@GoogleMail.com"
LOCAL_PART = "adalovelace"
RIGHTS_LINK = re.compile(r"https?://[^\s\"'<>]+/your-data/(copy|erase)/([^/\s\"'<>]+)/")


def known_person(organisation) -> Member:
    """Two signatures (two spellings of one address), a member with an opt-in, a mailing
    received and clicked, and an unsubscription that put the address on the suppression
    list."""
    first = PetitionFactory(organisation=organisation, require_confirmation=False)
    second = PetitionFactory(organisation=organisation, require_confirmation=False)
    data = sign_data(
        email=ADDRESS, first_name="Ada", last_name="Lovelace", opt_in=True, comment="Count me in"
    )
    signature_create(petition=first, data=data, request_meta=REQUEST_META)
    data = sign_data(email=VARIANT, first_name="Ada", last_name="Lovelace", postcode="SW1 1AA")
    signature_create(petition=second, data=data, request_meta=REQUEST_META)
    jobs_drain()
    member = Member.objects.get(organisation=organisation)
    mailing = MailingFactory(
        organisation=organisation, subject="Our faces", links=["https://example.net/read"]
    )
    now = timezone.now()
    recipient = RecipientFactory(
        mailing=mailing,
        member=member,
        sent_at=now,
        clicks=1,
        first_clicked_at=now,
        state="done",
        last_error="550 ada.lovelace@gmail.com mailbox full",
    )
    Click.objects.create(recipient=recipient, link=0, at=now)
    member_unsubscribe(
        member=member,
        source=ConsentRecord.SourceKind.PAGE,
        reason="Too many emails, Ada",
        where="/u/",
    )
    return member


def rows_mentioning(*needles: str) -> list[str]:
    """Every table and column, in the whole database, whose text holds one of `needles`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = connection.introspection.get_table_description(cursor, table)
            for column in columns:
                name = connection.ops.quote_name(column.name)
                for needle in needles:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "
                        f"WHERE LOWER(CAST({name} AS TEXT)) LIKE %s",
                        [f"%{needle.lower()}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column.name} holds {needle!r}")
    return found


def rights_links(outbox) -> list[tuple[str, str]]:
    """(purpose, token) of every self-service link in the emails, text and HTML parts alike."""
    links = set()
    for message in outbox:
        for part in [message.body] + [content for content, _ in message.alternatives]:
            links.update(RIGHTS_LINK.findall(part))
    return sorted(links)
