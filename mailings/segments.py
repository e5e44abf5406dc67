"""Segments: sets of members described by conditions, compiled to ORM queries.

A definition is plain JSON, {"match": "all" | "any", "conditions": [...]}, each condition
{"kind": ..., "negate": bool, plus the parameters its kind takes}:

    signed            {"petition": id}          a live (pending or confirmed) signature
    country_in        {"countries": ["DE", ..]} ISO 3166 codes (English names are read too)
    language          {"languages": ["de", ..]} the member's language
    status            {"statuses": ["subscribed", ..]}
    joined_between    {"from": "2026-01-31", "to": "2026-12-31"} either may be empty
    received_mailing  {"mailing": id}           the mailing reached them (recipient done)
    clicked_mailing   {"mailing": id}           they clicked a link in it
    signed_recent     {"days": n}               a live signature in the last n days

"Did not sign X" is `signed` with `negate`. Every definition is checked strictly by
`definition_clean` (which also refuses another organisation's petitions and mailings)
and compiled only through the ORM: conditions on other tables are EXISTS subqueries, a
negation is ~, nothing a user typed ever becomes SQL. No conditions means every member.

A segment says who matches; a send further keeps only the mailable (subscribed, not
suppressed): `segment_mailable` is the set a send snapshots.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import OperationalError, connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_countries import countries

from lib.text import TextRefused, single_line_clean
from mailings.models import Mailing, Recipient, Segment
from members.models import Member
from members.selectors import mailable_members
from petitions.models import Petition, Signature

MAX_CONDITIONS = 20
MAX_DAYS = 3650
MAX_LIST = 300  # countries, languages or statuses in one condition
NAME_MAX = 200
ID_MAX = 2**63 - 1
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-zA-Z0-9]{2,8})?$")
# Mailings whose recipients are not made yet: they will read the segment when they start.
UNSENT_STATES = (Mailing.State.DRAFT, Mailing.State.SCHEDULED)

KINDS = {
    "signed": "Signed petition",
    "country_in": "Country is one of",
    "language": "Language is one of",
    "status": "Subscription is one of",
    "joined_between": "Joined between",
    "received_mailing": "Received mailing",
    "clicked_mailing": "Clicked a link in mailing",
    "signed_recent": "Signed any petition in the last days",
}
PARAMETERS = {
    "signed": ("petition",),
    "country_in": ("countries",),
    "language": ("languages",),
    "status": ("statuses",),
    "joined_between": ("from", "to"),
    "received_mailing": ("mailing",),
    "clicked_mailing": ("mailing",),
    "signed_recent": ("days",),
}
EMPTY_DEFINITION = {"match": "all", "conditions": []}


class SegmentInvalid(ValueError):
    """A definition or a name that cannot be saved or counted; `messages` say why."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


class SegmentInUse(Exception):
    """A segment that a mailing not yet sent still needs."""


# ---- Checking a definition --------------------------------------------------------------


def definition_clean(*, organisation, definition) -> dict:
    """The definition in its one normal form, or SegmentInvalid with every problem found."""
    if not isinstance(definition, dict):
        raise SegmentInvalid(["The segment's definition must be an object."])
    problems = []
    unknown = set(definition) - {"match", "conditions"}
    if unknown:
        problems.append(f"Unknown field in the definition: {_names(unknown)}.")
    match = definition.get("match", "all")
    if match not in ("all", "any"):
        problems.append("Choose whether members must match all the conditions or any of them.")
    conditions = definition.get("conditions", [])
    if not isinstance(conditions, list):
        raise SegmentInvalid([*problems, "The conditions must be a list."])
    if len(conditions) > MAX_CONDITIONS:
        raise SegmentInvalid(
            [
                *problems,
                f"A segment has at most {MAX_CONDITIONS} conditions; this has {len(conditions)}.",
            ]
        )
    cleaned = []
    for number, condition in enumerate(conditions, start=1):
        try:
            cleaned.append(_condition_clean(organisation, condition))
        except SegmentInvalid as invalid:
            problems += [f"Condition {number}: {message}" for message in invalid.messages]
    if problems:
        raise SegmentInvalid(problems)
    return {"match": match, "conditions": cleaned}


def _names(keys) -> str:
    return ", ".join(sorted(repr(str(key)[:40]) for key in keys))


def _condition_clean(organisation, condition) -> dict:
    if not isinstance(condition, dict):
        raise SegmentInvalid(["it must be an object with a kind."])
    kind = condition.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise SegmentInvalid(["choose what it is about (the kind of condition)."])
    unknown = set(condition) - {"kind", "negate", *PARAMETERS[kind]}
    if unknown:
        raise SegmentInvalid([f"unknown field {_names(unknown)}."])
    negate = condition.get("negate", False)
    if not isinstance(negate, bool):
        raise SegmentInvalid(["“not” must be true or false."])
    parameters = CLEANERS[kind](organisation, condition)
    return {"kind": kind, "negate": negate, **parameters}


def _id(value, what: str) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= ID_MAX:
        raise SegmentInvalid([f"choose a {what}."])
    return value


def _petition(organisation, condition) -> dict:
    petition_id = _id(condition.get("petition"), "petition")
    if not Petition.objects.filter(pk=petition_id, organisation=organisation).exists():
        raise SegmentInvalid(["that petition does not exist (any more)."])
    return {"petition": petition_id}


def _mailing(organisation, condition) -> dict:
    mailing_id = _id(condition.get("mailing"), "mailing")
    if not Mailing.objects.filter(pk=mailing_id, organisation=organisation).exists():
        raise SegmentInvalid(["that mailing does not exist (any more)."])
    return {"mailing": mailing_id}


def _strings(condition, key: str, what: str, separators: str = r"[,;\s]+") -> list[str]:
    values = condition.get(key)
    if isinstance(values, str):
        values = re.split(separators, values)
    if isinstance(values, list) and all(isinstance(value, str) for value in values):
        values = [value.strip() for value in values if value.strip()]
    if not isinstance(values, list) or not values:
        raise SegmentInvalid([f"give at least one {what}."])
    if len(values) > MAX_LIST or not all(len(value) <= 60 for value in values):
        raise SegmentInvalid([f"give at most {MAX_LIST} {what} names or codes, each short."])
    return list(dict.fromkeys(values))


def _country(text: str) -> str:
    if len(text) == 2 and text.upper() in dict(countries):
        return text.upper()
    return countries.by_name(" ".join(text.split())) or ""


def _countries(organisation, condition) -> dict:
    # Typed names may hold spaces ("United Kingdom"), so only commas and semicolons part them.
    names = _strings(condition, "countries", "country", separators=r"[,;]+")
    codes = [_country(name) for name in names]
    if not all(codes):
        unknown = names[codes.index("")]
        raise SegmentInvalid(
            [
                f"no country is called “{unknown[:40]}”: type its English name or its "
                "two-letter code, such as Germany or DE."
            ]
        )
    return {"countries": list(dict.fromkeys(codes))}


def _languages(organisation, condition) -> dict:
    codes = _strings(condition, "languages", "language")
    wrong = [code for code in codes if not LANGUAGE_RE.match(code) or len(code) > 10]
    if wrong:
        raise SegmentInvalid(
            [f"“{wrong[0][:20]}” is not a language code, such as de, fr or pt-BR."]
        )
    return {"languages": codes}


def _statuses(organisation, condition) -> dict:
    values = _strings(condition, "statuses", "subscription status")
    wrong = [value for value in values if value not in Member.Status.values]
    if wrong:
        choices = ", ".join(Member.Status.values)
        raise SegmentInvalid([f"“{wrong[0][:20]}” is not a subscription status ({choices})."])
    return {"statuses": values}


def _date(value, label: str) -> str:
    if value in (None, ""):
        return ""
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise SegmentInvalid(
            [f"the “{label}” date must be year-month-day, for example 2026-11-30."]
        ) from None
    if day.year < 2000:
        raise SegmentInvalid([f"the “{label}” date must be in 2000 or later."])
    return day.isoformat()


def _joined(organisation, condition) -> dict:
    start = _date(condition.get("from"), "from")
    end = _date(condition.get("to"), "to")
    if not start and not end:
        raise SegmentInvalid(["give a “from” date, a “to” date, or both."])
    if start and end and start > end:
        raise SegmentInvalid(["the “to” date comes before the “from” date."])
    return {"from": start, "to": end}


def _days(organisation, condition) -> dict:
    days = condition.get("days")
    if isinstance(days, str) and days.isascii() and days.isdigit() and len(days) < 6:
        days = int(days)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise SegmentInvalid([f"give a number of days from 1 to {MAX_DAYS}."])
    return {"days": days}


CLEANERS = {
    "signed": _petition,
    "country_in": _countries,
    "language": _languages,
    "status": _statuses,
    "joined_between": _joined,
    "received_mailing": _mailing,
    "clicked_mailing": _mailing,
    "signed_recent": _days,
}


# ---- Compiling ----------------------------------------------------------------------------


def _day_start(day: str, days_after: int = 0) -> datetime:
    start = date.fromisoformat(day) + timedelta(days=days_after)
    return timezone.make_aware(datetime.combine(start, time.min))


def _live_signatures():
    return Signature.objects.filter(member=OuterRef("pk"), state__in=Signature.LIVE_STATES)


def _condition_q(condition: dict, now: datetime) -> Q:
    kind = condition["kind"]
    if kind == "signed":
        q = Q(Exists(_live_signatures().filter(petition_id=condition["petition"])))
    elif kind == "country_in":
        q = Q(country__in=condition["countries"])
    elif kind == "language":
        q = Q(language__in=condition["languages"])
    elif kind == "status":
        q = Q(status__in=condition["statuses"])
    elif kind == "joined_between":
        q = Q()
        if condition["from"]:
            q &= Q(created_at__gte=_day_start(condition["from"]))
        if condition["to"]:
            q &= Q(created_at__lt=_day_start(condition["to"], days_after=1))
    elif kind in ("received_mailing", "clicked_mailing"):
        recipients = Recipient.objects.filter(
            member=OuterRef("pk"), mailing_id=condition["mailing"]
        )
        if kind == "received_mailing":
            recipients = recipients.filter(state=Recipient.State.DONE)
        else:
            recipients = recipients.filter(first_clicked_at__isnull=False)
        q = Q(Exists(recipients))
    elif kind == "signed_recent":
        since = now - timedelta(days=condition["days"])
        q = Q(Exists(_live_signatures().filter(created_at__gte=since)))
    else:  # definition_clean lets no other kind through
        raise SegmentInvalid([f"unknown kind {kind!r}."])
    return ~q if condition["negate"] else q


def definition_q(definition: dict, now: datetime | None = None) -> Q:
    """The Q a cleaned definition stands for (on Member)."""
    now = now or timezone.now()
    parts = [_condition_q(condition, now) for condition in definition["conditions"]]
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if definition["match"] == "any" else combined & part
    return combined


def segment_members(*, organisation, definition) -> models.QuerySet:
    """The organisation's members the definition describes (checked here first)."""
    cleaned = definition_clean(organisation=organisation, definition=definition)
    return Member.objects.filter(organisation=organisation).filter(definition_q(cleaned))


def segment_count(*, organisation, definition) -> int:
    return segment_members(organisation=organisation, definition=definition).count()


def segment_mailable(*, organisation, definition) -> models.QuerySet:
    """The members a send to this segment reaches: those it describes who are mailable
    (subscribed and not suppressed). What a send snapshots into its recipients."""
    cleaned = definition_clean(organisation=organisation, definition=definition)
    return mailable_members(organisation).filter(definition_q(cleaned))


def segment_mailable_count(*, organisation, definition) -> int:
    return segment_mailable(organisation=organisation, definition=definition).count()


# ---- Saving ---------------------------------------------------------------------------


def _name_clean(organisation, name, segment=None) -> str:
    try:
        name = single_line_clean(name if isinstance(name, str) else "")
    except TextRefused as refused:
        raise SegmentInvalid([f"Name: {refused.message}"]) from None
    if not name:
        raise SegmentInvalid(["Name: give the segment a name."])
    if len(name) > NAME_MAX:
        raise SegmentInvalid([f"Name: keep it to {NAME_MAX} characters."])
    same = Segment.objects.filter(organisation=organisation, name__iexact=name)
    if segment is not None:
        same = same.exclude(pk=segment.pk)
    if same.exists():
        raise SegmentInvalid([f"Name: a segment called “{name}” exists already."])
    return name


def _checked(organisation, name, definition, segment=None) -> tuple[str, dict]:
    problems = []
    try:
        name = _name_clean(organisation, name, segment)
    except SegmentInvalid as invalid:
        problems += invalid.messages
    try:
        definition = definition_clean(organisation=organisation, definition=definition)
    except SegmentInvalid as invalid:
        problems += invalid.messages
    if problems:
        raise SegmentInvalid(problems)
    return name, definition


@transaction.atomic
def segment_create(*, organisation, name, definition, by) -> Segment:
    name, definition = _checked(organisation, name, definition)
    return Segment.objects.create(
        organisation=organisation, name=name, definition=definition, created_by=by
    )


@transaction.atomic
def segment_update(*, segment: Segment, name, definition, by) -> Segment:
    name, definition = _checked(segment.organisation, name, definition, segment)
    segment.name, segment.definition = name, definition
    segment.save(update_fields=["name", "definition", "updated_at"])
    return segment


def segment_unsent_mailings(segment: Segment) -> models.QuerySet:
    return Mailing.objects.filter(segment=segment, state__in=UNSENT_STATES)


@transaction.atomic
def segment_delete(*, segment: Segment, by) -> None:
    """Deletes a segment no unsent mailing needs; mailings already started keep the
    definition they snapshotted, so deleting changes nothing they send."""
    waiting = list(segment_unsent_mailings(segment).values_list("name", flat=True)[:3])
    if waiting:
        names = ", ".join(f"“{name}”" for name in waiting)
        raise SegmentInUse(
            f"Not deleted: {names} will be sent to this segment. Choose another segment "
            "for them first."
        )
    segment.delete()


# ---- Counting within a bound, and saying what a segment is ----------------------------

COUNT_TIMEOUT_MS = 5000


class SegmentCountTooSlow(Exception):
    """Counting took longer than COUNT_TIMEOUT_MS and was stopped by the database."""


@dataclass(frozen=True)
class SegmentCounts:
    members: int
    mailable: int


def segment_counts(*, organisation, definition) -> SegmentCounts:
    """How many members the definition describes and how many of them a send would
    reach. On PostgreSQL each count is stopped after COUNT_TIMEOUT_MS, so a page that
    counts (the builder, at every edit) never holds the database for long."""
    cleaned = definition_clean(organisation=organisation, definition=definition)
    where = definition_q(cleaned)
    everyone = Member.objects.filter(organisation=organisation).filter(where)
    mailable = mailable_members(organisation).filter(where)
    if connection.vendor != "postgresql":
        return SegmentCounts(everyone.count(), mailable.count())
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(COUNT_TIMEOUT_MS)}")
            # Planned with its values (as members_page does): a generic plan for a
            # prepared statement cannot know how many members one petition has.
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            return SegmentCounts(everyone.count(), mailable.count())
    except OperationalError as error:
        if getattr(error, "sqlstate", None) == "57014" or "statement timeout" in str(error):
            raise SegmentCountTooSlow from None
        raise


def definitions_describe(*, organisation, definitions: list) -> list[str]:
    """Each stored definition in words, for lists: "All of: signed “Stop …”; not in
    Germany". Two queries whatever the number (the petitions' and mailings' names)."""
    conditions = [
        condition
        for definition in definitions
        if isinstance(definition, dict) and isinstance(definition.get("conditions"), list)
        for condition in definition["conditions"]
        if isinstance(condition, dict)
    ]
    petitions = dict(
        Petition.objects.filter(
            organisation=organisation,
            pk__in=[c.get("petition") for c in conditions if isinstance(c.get("petition"), int)],
        ).values_list("pk", "title")
    )
    mailings = dict(
        Mailing.objects.filter(
            organisation=organisation,
            pk__in=[c.get("mailing") for c in conditions if isinstance(c.get("mailing"), int)],
        ).values_list("pk", "name")
    )
    return [_describe_one(definition, petitions, mailings) for definition in definitions]


def _describe_one(definition, petitions: dict, mailings: dict) -> str:
    try:
        conditions = [_condition_shape(c) for c in definition.get("conditions") or []]
        parts = [_describe(c, petitions, mailings) for c in conditions]
    except (AttributeError, KeyError, TypeError, ValueError):
        return "Needs fixing: open it and save it again"
    if not parts:
        return "Every member"
    joined = "; ".join(parts)
    if len(parts) == 1:
        return joined[:1].upper() + joined[1:]
    return ("Any of: " if definition.get("match") == "any" else "All of: ") + joined


def _condition_shape(condition: dict) -> dict:
    kind = condition["kind"]
    for key in PARAMETERS[kind]:
        if key not in condition:
            raise KeyError(key)
    return condition


def _describe(condition: dict, petitions: dict, mailings: dict) -> str:
    kind = condition.get("kind")
    if kind == "signed":
        text = f"signed “{petitions.get(condition['petition'], 'a deleted petition')}”"
    elif kind in ("received_mailing", "clicked_mailing"):
        verb = "received" if kind == "received_mailing" else "clicked in"
        text = f"{verb} “{mailings.get(condition['mailing'], 'a deleted mailing')}”"
    elif kind == "country_in":
        text = "in " + ", ".join(countries.name(code) or code for code in condition["countries"])
    elif kind == "language":
        text = "language " + ", ".join(condition["languages"])
    elif kind == "status":
        text = "subscription " + ", ".join(
            str(Member.Status(s).label).lower() for s in condition["statuses"]
        )
    elif kind == "joined_between":
        text = "joined " + " ".join(
            part
            for part in (
                f"from {condition['from']}" if condition["from"] else "",
                f"until {condition['to']}" if condition["to"] else "",
            )
            if part
        )
    elif kind == "signed_recent":
        text = f"signed in the last {condition['days']} days"
    else:
        text = str(kind)
    return f"not {text}" if condition.get("negate") else text
