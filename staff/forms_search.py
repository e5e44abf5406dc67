"""What the workspace's people lists (signatures, members) share in their search forms:
the name-or-email box, the country typed as a name or code, and date ranges."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from lib.addresses import InvalidEmail, email_key
from lib.forms import SingleLineField

SEARCH_MAX = 100
DATE_MESSAGE = _("Enter a date as year-month-day, for example 2026-11-30.")


def country_code(text: str) -> str:
    """The two-letter code for a country typed by name or code, or a clear refusal."""
    text = " ".join(text.split())
    if not text:
        return ""
    if len(text) == 2 and text.upper() in dict(countries):
        return text.upper()
    code = countries.by_name(text)
    if not code:
        raise forms.ValidationError(
            _(
                "No country is called “%(text)s”. Type its English name or its two-letter "
                "code, such as Germany or DE."
            )
            % {"text": text}
        )
    return code


def date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": DATE_MESSAGE},
    )


def day_start(day, days_after: int = 0) -> datetime | None:
    """Midnight (in the site's time zone) at the start of `day`, or `days_after` later."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=days_after), time.min))


class PeopleSearchForm(forms.Form):
    """The search box (the start of a name, or a whole email address, matched by its
    canonical key) and the country box; subclasses add their own filters."""

    q = SingleLineField(
        label=_("Name or email"),
        required=False,
        max_length=SEARCH_MAX,
        help_text=_("The start of a name, or a whole email address."),
        error_messages={
            "max_length": format_lazy(
                _("Search for at most {limit} characters."), limit=SEARCH_MAX
            )
        },
    )
    country = SingleLineField(
        label=_("Country (name or code)"),
        required=False,
        max_length=60,
        error_messages={"max_length": _("Type a country's name or its two-letter code.")},
    )

    def clean_q(self) -> str:
        query = " ".join(self.cleaned_data["q"].split())
        if "@" in query:
            try:
                self.cleaned_data["email_key"] = email_key(query)
            except InvalidEmail:
                raise forms.ValidationError(
                    _("Searching by email needs the whole address, such as ada@example.org.")
                ) from None
        return query

    def clean_country(self) -> str:
        return country_code(self.cleaned_data["country"])

    def date_order_check(self, start_field: str, end_field: str) -> None:
        start, end = self.cleaned_data.get(start_field), self.cleaned_data.get(end_field)
        if start and end and start > end:
            self.add_error(end_field, _("This date comes before the “from” date."))
