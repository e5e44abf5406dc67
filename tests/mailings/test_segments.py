"""Segments: each kind of condition compiled to the members it names, negated, combined
with all or any, checked strictly, and kept inside its own organisation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mailings.models import Mailing, Recipient, Segment
from mailings.segments import (
    MAX_CONDITIONS,
    SegmentCountTooSlow,
    SegmentInUse,
    SegmentInvalid,
    definition_clean,
    definitions_describe,
    segment_count,
    segment_counts,
    segment_create,
    segment_delete,
    segment_mailable,
    segment_members,
    segment_update,
)
from members.models import Member, Suppression
from tests.conftest import is_postgres  # noqa: F401 (the skipif condition names it)
from tests.factories import (
    MailingFactory,
    MemberFactory,
    OrganisationFactory,
    PetitionFactory,
    RecipientFactory,
    SignatureFactory,
)

pytestmark = pytest.mark.django_db


def _names(organisation, *conditions, match="all") -> set[str]:
    definition = {"match": match, "conditions": list(conditions)}
    return set(
        segment_members(organisation=organisation, definition=definition).values_list(
            "first_name", flat=True
        )
    )


def _member(organisation, name, **fields) -> Member:
    return MemberFactory(organisation=organisation, first_name=name, **fields)


def _signed(member, petition, state="confirmed", **fields):
    return SignatureFactory(
        petition=petition, member=member, email=member.email, state=state, **fields
    )


@pytest.fixture
def people(organisation):
    return {
        name: _member(organisation, name, **fields)
        for name, fields in {
            "ada": {"country": "GB", "language": "en", "status": "subscribed"},
            "bea": {"country": "DE", "language": "de", "status": "subscribed"},
            "cal": {"country": "AT", "language": "de", "status": "unsubscribed"},
            "dan": {"country": "FR", "language": "fr", "status": "none"},
        }.items()
    }


def test_no_conditions_means_every_member_of_the_organisation(organisation, people):
    _member(OrganisationFactory(), "elsewhere")

    assert _names(organisation) == {"ada", "bea", "cal", "dan"}


def test_signed_finds_live_signatures_of_that_petition_only(organisation, people):
    petition, other = (
        PetitionFactory(organisation=organisation),
        PetitionFactory(organisation=organisation),
    )
    _signed(people["ada"], petition, "confirmed")
    _signed(people["bea"], petition, "pending")
    _signed(people["cal"], petition, "invalidated")
    _signed(people["dan"], other)
    condition = {"kind": "signed", "petition": petition.pk}

    assert _names(organisation, condition) == {"ada", "bea"}
    assert _names(organisation, condition | {"negate": True}) == {"cal", "dan"}


def test_country_language_and_status_take_lists(organisation, people):
    assert _names(organisation, {"kind": "country_in", "countries": ["de", "AT"]}) == {
        "bea",
        "cal",
    }
    assert _names(organisation, {"kind": "language", "languages": ["de"]}) == {"bea", "cal"}
    assert _names(organisation, {"kind": "status", "statuses": ["subscribed"]}) == {
        "ada",
        "bea",
    }
    assert _names(
        organisation, {"kind": "status", "statuses": ["subscribed"], "negate": True}
    ) == {"cal", "dan"}


def test_joined_between_counts_whole_days_at_both_ends(organisation, people):
    day = timezone.now() - timedelta(days=30)
    Member.objects.filter(pk=people["ada"].pk).update(created_at=day.replace(hour=0, minute=1))
    Member.objects.filter(pk=people["bea"].pk).update(created_at=day.replace(hour=23, minute=59))
    Member.objects.filter(pk=people["cal"].pk).update(created_at=day - timedelta(days=2))
    on_the_day = {
        "kind": "joined_between",
        "from": day.date().isoformat(),
        "to": day.date().isoformat(),
    }
    since = {"kind": "joined_between", "from": (day - timedelta(days=1)).date().isoformat()}
    until = {"kind": "joined_between", "to": (day - timedelta(days=1)).date().isoformat()}

    assert _names(organisation, on_the_day) == {"ada", "bea"}
    assert _names(organisation, since) == {"ada", "bea", "dan"}
    assert _names(organisation, until) == {"cal"}


def test_received_needs_a_recipient_that_was_sent(organisation, people):
    mailing = MailingFactory(organisation=organisation)
    RecipientFactory(mailing=mailing, member=people["ada"], state=Recipient.State.DONE)
    RecipientFactory(mailing=mailing, member=people["bea"], state=Recipient.State.DUE)
    RecipientFactory(mailing=mailing, member=people["cal"], state=Recipient.State.FAILED)
    condition = {"kind": "received_mailing", "mailing": mailing.pk}

    assert _names(organisation, condition) == {"ada"}
    assert _names(organisation, condition | {"negate": True}) == {"bea", "cal", "dan"}


def test_clicked_needs_a_first_click(organisation, people):
    mailing = MailingFactory(organisation=organisation)
    RecipientFactory(
        mailing=mailing, member=people["ada"], state="done", first_clicked_at=timezone.now()
    )
    RecipientFactory(mailing=mailing, member=people["bea"], state="done")

    assert _names(organisation, {"kind": "clicked_mailing", "mailing": mailing.pk}) == {"ada"}


def test_signed_recent_counts_live_signatures_of_any_petition_in_the_window(organisation, people):
    petition = PetitionFactory(organisation=organisation)
    _signed(people["ada"], petition)
    old = _signed(people["bea"], petition)
    _signed(people["cal"], PetitionFactory(organisation=organisation), state="fraudulent")
    old.created_at = timezone.now() - timedelta(days=10)
    old.save(update_fields=["created_at"])

    assert _names(organisation, {"kind": "signed_recent", "days": 7}) == {"ada"}
    assert _names(organisation, {"kind": "signed_recent", "days": 11}) == {"ada", "bea"}


def test_all_needs_every_condition_and_any_needs_one(organisation, people):
    german = {"kind": "language", "languages": ["de"]}
    subscribed = {"kind": "status", "statuses": ["subscribed"]}

    assert _names(organisation, german, subscribed, match="all") == {"bea"}
    assert _names(organisation, german, subscribed, match="any") == {"ada", "bea", "cal"}
    assert _names(organisation, german | {"negate": True}, subscribed, match="any") == {
        "ada",
        "bea",
        "dan",
    }


def test_did_not_sign_y_but_signed_x(organisation, people):
    x, y = PetitionFactory(organisation=organisation), PetitionFactory(organisation=organisation)
    for name in ("ada", "bea"):
        _signed(people[name], x)
    _signed(people["bea"], y)

    assert _names(
        organisation,
        {"kind": "signed", "petition": x.pk},
        {"kind": "signed", "petition": y.pk, "negate": True},
    ) == {"ada"}


def test_the_count_matches_the_members(organisation, people):
    definition = {"match": "all", "conditions": [{"kind": "language", "languages": ["de"]}]}

    assert segment_count(organisation=organisation, definition=definition) == 2


def test_mailable_keeps_only_subscribed_and_unsuppressed_members(organisation, people):
    Suppression.objects.create(
        organisation=organisation,
        email_key=people["bea"].email_key,
        reason="staff",
        at=timezone.now(),
    )
    definition = {
        "match": "any",
        "conditions": [{"kind": "country_in", "countries": ["GB", "DE", "AT"]}],
    }

    mailable = segment_mailable(organisation=organisation, definition=definition)

    assert set(mailable.values_list("first_name", flat=True)) == {"ada"}


# ---- Checking -----------------------------------------------------------------------


def _problems(organisation, definition) -> list[str]:
    with pytest.raises(SegmentInvalid) as refused:
        definition_clean(organisation=organisation, definition=definition)
    return refused.value.messages


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"kind": "sql", "where": "1=1"}, "Condition 1: choose what it is about"),
        ({"kind": "signed"}, "Condition 1: choose a petition."),
        ({"kind": "signed", "petition": "12; DROP TABLE"}, "Condition 1: choose a petition."),
        ({"kind": "signed", "petition": True}, "Condition 1: choose a petition."),
        ({"kind": "signed", "petition": -4}, "Condition 1: choose a petition."),
        ({"kind": "signed", "petition": 10**30}, "Condition 1: choose a petition."),
        ({"kind": "signed", "petition": 999999}, "that petition does not exist"),
        ({"kind": "received_mailing", "mailing": 999999}, "that mailing does not exist"),
        ({"kind": "signed", "petition": 1, "extra": 1}, "unknown field 'extra'"),
        ({"kind": "status", "statuses": ["subscribed"], "negate": "yes"}, "must be true or false"),
        ({"kind": "country_in", "countries": []}, "give at least one country"),
        ({"kind": "country_in", "countries": ["XX"]}, "no country is called “XX”"),
        ({"kind": "country_in", "countries": ["=1+1"]}, "no country is called “=1+1”"),
        ({"kind": "country_in", "countries": ["DE"] * 301}, "at most 300"),
        ({"kind": "language", "languages": ["<script>"]}, "is not a language code"),
        ({"kind": "status", "statuses": ["vip"]}, "“vip” is not a subscription status"),
        ({"kind": "joined_between"}, "give a “from” date, a “to” date, or both"),
        ({"kind": "joined_between", "from": "30/11/2026"}, "year-month-day"),
        ({"kind": "joined_between", "from": "2026-02-30"}, "year-month-day"),
        ({"kind": "joined_between", "from": 20261130}, "year-month-day"),
        ({"kind": "joined_between", "from": "2026-12-01", "to": "2026-11-01"}, "comes before"),
        ({"kind": "signed_recent", "days": 0}, "from 1 to 3650"),
        ({"kind": "signed_recent", "days": 3651}, "from 1 to 3650"),
        ({"kind": "signed_recent", "days": 2.5}, "from 1 to 3650"),
        ({"kind": "signed_recent", "days": "abc"}, "from 1 to 3650"),
        ("signed", "it must be an object"),
    ],
)
def test_each_malformed_condition_is_refused_with_a_clear_message(
    organisation, condition, message
):
    problems = _problems(organisation, {"match": "all", "conditions": [condition]})

    assert len(problems) == 1 and message in problems[0], problems


def test_the_definition_itself_must_be_well_formed(organisation):
    assert "must be an object" in _problems(organisation, ["signed"])[0]
    assert "all the conditions or any" in _problems(organisation, {"match": "most"})[0]
    assert "must be a list" in _problems(organisation, {"match": "all", "conditions": {}})[-1]
    assert "Unknown field" in _problems(organisation, {"match": "all", "sql": "x"})[0]


def test_more_conditions_than_the_cap_are_refused(organisation):
    conditions = [{"kind": "status", "statuses": ["subscribed"]}] * (MAX_CONDITIONS + 1)

    problems = _problems(organisation, {"match": "all", "conditions": conditions})

    assert problems == [f"A segment has at most 20 conditions; this has {MAX_CONDITIONS + 1}."]


def test_every_problem_is_named_with_its_condition_number(organisation):
    problems = _problems(
        organisation,
        {
            "match": "all",
            "conditions": [
                {"kind": "status", "statuses": ["subscribed"]},
                {"kind": "signed_recent", "days": 0},
                {"kind": "country_in", "countries": ["ZZ"]},
            ],
        },
    )

    assert [p.split(":")[0] for p in problems] == ["Condition 2", "Condition 3"]


def test_a_definition_is_stored_in_one_normal_form(organisation):
    petition = PetitionFactory(organisation=organisation)

    cleaned = definition_clean(
        organisation=organisation,
        definition={
            "match": "any",
            "conditions": [
                {"kind": "signed", "petition": str(petition.pk)},
                {"kind": "country_in", "countries": "de, Austria; DE"},
                {"kind": "signed_recent", "days": "30", "negate": True},
            ],
        },
    )

    assert cleaned == {
        "match": "any",
        "conditions": [
            {"kind": "signed", "negate": False, "petition": petition.pk},
            {"kind": "country_in", "negate": False, "countries": ["DE", "AT"]},
            {"kind": "signed_recent", "negate": True, "days": 30},
        ],
    }


# ---- Organisations ------------------------------------------------------------------


def test_another_organisations_petition_or_mailing_is_refused_as_if_absent(organisation):
    other = OrganisationFactory(name="Another group")
    their_petition = PetitionFactory(organisation=other)
    their_mailing = MailingFactory(organisation=other)

    problems = _problems(
        organisation,
        {
            "match": "all",
            "conditions": [
                {"kind": "signed", "petition": their_petition.pk},
                {"kind": "clicked_mailing", "mailing": their_mailing.pk},
            ],
        },
    )

    assert problems == [
        "Condition 1: that petition does not exist (any more).",
        "Condition 2: that mailing does not exist (any more).",
    ]


def test_a_segment_never_reaches_another_organisations_members(organisation):
    other = OrganisationFactory(name="Another group")
    _member(organisation, "ours", country="DE")
    _member(other, "theirs", country="DE")

    assert _names(organisation, {"kind": "country_in", "countries": ["DE"]}) == {"ours"}
    assert (
        _names(organisation, {"kind": "country_in", "countries": ["DE"], "negate": True}) == set()
    )


# ---- Saving ---------------------------------------------------------------------------


def test_create_and_update_store_the_normal_form(organisation, owner):
    segment = segment_create(
        organisation=organisation,
        name="  Germans  ",
        definition={"match": "all", "conditions": [{"kind": "country_in", "countries": ["de"]}]},
        by=owner,
    )

    assert segment.name == "Germans" and segment.created_by == owner
    assert segment.definition["conditions"][0] == {
        "kind": "country_in",
        "negate": False,
        "countries": ["DE"],
    }

    segment_update(
        segment=segment,
        name="Austrians",
        definition={"match": "any", "conditions": [{"kind": "country_in", "countries": ["AT"]}]},
        by=owner,
    )
    segment.refresh_from_db()
    assert segment.name == "Austrians" and segment.definition["match"] == "any"


def test_a_bad_name_or_definition_stores_nothing(organisation, owner):
    good = {"match": "all", "conditions": []}
    for name, definition in [
        ("", good),
        ("x" * 201, good),
        ("Line\nbreak", good),
        ("Fine", {"match": "all", "conditions": [{"kind": "nope"}]}),
    ]:
        with pytest.raises(SegmentInvalid):
            segment_create(organisation=organisation, name=name, definition=definition, by=owner)

    assert Segment.objects.count() == 0


def test_names_are_unique_in_an_organisation_whatever_their_case(organisation, owner):
    empty = {"match": "all", "conditions": []}
    segment_create(organisation=organisation, name="Donors", definition=empty, by=owner)
    segment_create(organisation=OrganisationFactory(), name="Donors", definition=empty, by=owner)

    with pytest.raises(SegmentInvalid) as refused:
        segment_create(organisation=organisation, name="donors", definition=empty, by=owner)

    assert refused.value.messages == ["Name: a segment called “donors” exists already."]


def test_a_segment_an_unsent_mailing_needs_is_not_deleted(organisation, owner):
    segment = Segment.objects.create(organisation=organisation, name="Everyone")
    MailingFactory(organisation=organisation, segment=segment, name="Winter appeal")

    with pytest.raises(SegmentInUse, match="“Winter appeal” will be sent to this segment"):
        segment_delete(segment=segment, by=owner)

    assert Segment.objects.filter(pk=segment.pk).exists()


def test_a_segment_only_sent_mailings_used_is_deleted_and_they_keep_their_snapshot(
    organisation, owner
):
    segment = Segment.objects.create(organisation=organisation, name="Everyone")
    sent = MailingFactory(
        organisation=organisation,
        segment=segment,
        state=Mailing.State.SENT,
        segment_definition={"match": "all", "conditions": []},
    )

    segment_delete(segment=segment, by=owner)

    sent.refresh_from_db()
    assert not Segment.objects.filter(pk=segment.pk).exists()
    assert sent.segment is None and sent.segment_definition["match"] == "all"


# ---- Saying what a segment is, and counting within a bound -------------------------


def test_definitions_are_described_in_words(organisation):
    petition = PetitionFactory(organisation=organisation, title="Clean air")
    mailing = MailingFactory(organisation=organisation, name="Spring appeal")

    described = definitions_describe(
        organisation=organisation,
        definitions=[
            {"match": "all", "conditions": []},
            {
                "match": "all",
                "conditions": [{"kind": "signed", "negate": True, "petition": petition.pk}],
            },
            {
                "match": "any",
                "conditions": [
                    {"kind": "country_in", "negate": False, "countries": ["DE", "AT"]},
                    {"kind": "clicked_mailing", "negate": False, "mailing": mailing.pk},
                    {"kind": "signed_recent", "negate": False, "days": 30},
                ],
            },
            {"match": "all", "conditions": [{"kind": "status", "statuses": ["vip"]}]},
            {},
        ],
    )

    assert described == [
        "Every member",
        "Not signed “Clean air”",
        "Any of: in Germany, Austria; clicked in “Spring appeal”; signed in the last 30 days",
        "Needs fixing: open it and save it again",
        "Every member",
    ]


def test_counts_give_members_and_the_mailable_among_them(organisation, people):
    counts = segment_counts(
        organisation=organisation,
        definition={"match": "all", "conditions": [{"kind": "language", "languages": ["de"]}]},
    )

    assert (counts.members, counts.mailable) == (2, 1)


@pytest.mark.skipif("not is_postgres()")
def test_a_count_that_runs_too_long_is_stopped_and_the_timeout_does_not_linger(
    organisation, people, monkeypatch
):
    from django.db import connection

    import mailings.segments as segments

    def slow(organisation):
        return Member.objects.filter(organisation=organisation).extra(
            where=["pg_sleep(0.05) IS NOT NULL"]
        )

    monkeypatch.setattr(segments, "mailable_members", slow)
    monkeypatch.setattr(segments, "COUNT_TIMEOUT_MS", 20)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]

    with pytest.raises(SegmentCountTooSlow):
        segment_counts(organisation=organisation, definition={"match": "all", "conditions": []})

    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before
    assert Member.objects.filter(organisation=organisation).count() == 4
