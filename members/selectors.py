"""Reads of members that more than one flow makes: who may be mailed, the consent rules
by country, and the workspace's member list (bounded whatever the register's size)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef
from django_countries import countries

from lib.keyset import keyset_page
from lib.nameprefix import name_prefix_filter
from members.consent import DOUBLE_OPT_IN_COUNTRIES
from members.models import CountryConsentRule, Member, Suppression

MEMBERS_PAGE_SIZE = 50
# What the member list shows: never the email key or anything only the machinery reads.
MEMBER_LIST_COLUMNS = ("id", "email", "first_name", "last_name", "country", "status", "created_at")


def mailable_members(organisation) -> models.QuerySet:
    """Members a mailing may reach: subscribed, and their address not suppressed.

    Every send starts from here, so a suppression wins over any status.
    """
    suppressed = Suppression.objects.filter(
        organisation_id=OuterRef("organisation_id"), email_key=OuterRef("email_key")
    )
    return Member.objects.filter(
        organisation=organisation, status=Member.Status.SUBSCRIBED
    ).exclude(Exists(suppressed))


def double_opt_in_required(*, organisation_id: int, country: str) -> bool:
    """Whether a member in `country` needs a confirmed opt-in to be subscribed."""
    rule = (
        CountryConsentRule.objects.filter(organisation_id=organisation_id, country=country)
        .values_list("double_opt_in", flat=True)
        .first()
    )
    return country in DOUBLE_OPT_IN_COUNTRIES if rule is None else rule


@dataclass(frozen=True)
class ConsentRuleRow:
    country: str
    country_name: str
    double_opt_in: bool
    note: str
    built_in: bool  # no rule set: the built-in default applies


def consent_rules(*, organisation_id: int) -> list[ConsentRuleRow]:
    """The organisation's rules and the built-in defaults it has not overridden, by name."""
    rows = {
        rule.country.code: ConsentRuleRow(
            rule.country.code, rule.country.name, rule.double_opt_in, rule.note, False
        )
        for rule in CountryConsentRule.objects.filter(organisation_id=organisation_id)
    }
    for code in DOUBLE_OPT_IN_COUNTRIES - rows.keys():
        rows[code] = ConsentRuleRow(code, countries.name(code), True, "", True)
    return sorted(rows.values(), key=lambda row: row.country_name)


# ---- The workspace's member list ----------------------------------------------------------


@dataclass(frozen=True)
class MemberFilters:
    """What the staff list narrows members by; every field optional."""

    email_key: str = ""
    name: str = ""
    status: str = ""
    country: str = ""
    joined_from: datetime | None = None
    joined_before: datetime | None = None


@dataclass(frozen=True)
class MemberPage:
    rows: list[dict]
    newer_than: int | None  # the id the "Newer" link asks for rows above, if any
    older_than: int | None  # the id the "Older" link asks for rows below, if any


def members_filtered(*, organisation_id: int, filters: MemberFilters):
    rows = Member.objects.filter(organisation_id=organisation_id)
    if filters.email_key:
        rows = rows.filter(email_key=filters.email_key)
    if filters.name:
        rows = name_prefix_filter(rows, filters.name)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.country:
        rows = rows.filter(country=filters.country)
    if filters.joined_from:
        rows = rows.filter(created_at__gte=filters.joined_from)
    if filters.joined_before:
        rows = rows.filter(created_at__lt=filters.joined_before)
    return rows


def members_page(
    *,
    organisation_id: int,
    filters: MemberFilters,
    older_than: int | None = None,
    newer_than: int | None = None,
    size: int = MEMBERS_PAGE_SIZE,
) -> MemberPage:
    """One page of members, newest first, found by keyset (ids), never OFFSET or COUNT.

    The page's ids come first, from the index alone where PostgreSQL can (the list index
    of migration 0003 includes the filtered columns), then only those rows are read.
    """
    if connection.vendor != "postgresql":
        return _members_page(organisation_id, filters, older_than, newer_than, size)
    with transaction.atomic():
        # A prepared statement's generic plan would walk the whole register newest first
        # for a filter matching little; planned with its values, it takes the right index.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        return _members_page(organisation_id, filters, older_than, newer_than, size)


def _members_page(organisation_id, filters, older_than, newer_than, size) -> MemberPage:
    matching = members_filtered(organisation_id=organisation_id, filters=filters).order_by()
    page = keyset_page(matching, older_than=older_than, newer_than=newer_than, size=size)
    return MemberPage(_rows_by_id(page.ids), page.newer_than, page.older_than)


def _rows_by_id(ids: list[int]) -> list[dict]:
    if not ids:
        return []
    return list(Member.objects.filter(id__in=ids).order_by("-id").values(*MEMBER_LIST_COLUMNS))
