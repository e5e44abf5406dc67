"""Forms of a petition's fraud tab: the window of the report, choosing signatures, a bulk
action. Every value is checked here and reaches the database only as a parameter."""

import ipaddress
import re
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lib.forms import SingleLineField
from petitions.models import BulkAction
from petitions.services.bulk import NAME_PATTERN_MAX, BulkFilters
from staff.forms_search import country_code, date_field, day_start
from staff.labels import translated_choices

WINDOWS = [
    ("24h", _("Last 24 hours")),
    ("7d", _("Last 7 days")),
    ("custom", _("Dates of your choice")),
]
WINDOW_SPANS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
CUSTOM_MAX_DAYS = 92
DOMAIN = re.compile(r"[\w-]+(\.[\w-]+)*")
MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


class FraudWindowForm(forms.Form):
    window = forms.ChoiceField(label=_("Window"), choices=WINDOWS, required=False)
    date_from = date_field(_("From (UTC)"))
    date_to = date_field(_("Until (UTC, included)"))

    def clean(self):
        data = super().clean()
        if data.get("window") != "custom":
            return data
        start, end = data.get("date_from"), data.get("date_to")
        if not start or not end:
            self.add_error("date_from", _("Choose both dates for a window of your choice."))
        elif start > end:
            self.add_error("date_to", _("This date comes before the “from” date."))
        elif (end - start).days >= CUSTOM_MAX_DAYS:
            self.add_error(
                "date_to", _("Choose at most %(days)s days.") % {"days": CUSTOM_MAX_DAYS}
            )
        return data

    def span(self, now=None) -> tuple:
        now = now or timezone.now()
        window = self.cleaned_data.get("window") or "24h" if self.is_bound else "24h"
        if window == "custom":
            data = self.cleaned_data
            return day_start(data["date_from"]), day_start(data["date_to"], days_after=1)
        return now - WINDOW_SPANS[window], now


def _moment(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=MOMENT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter a date and time, for example 2026-11-30 14:00.")},
    )


class SignatureChoiceForm(forms.Form):
    """Which signatures: the filters a drill-down and a bulk action share (all combinable)."""

    network = SingleLineField(
        label=_("Client network"),
        required=False,
        max_length=50,
        help_text=_("As the report shows it, such as 203.0.113.0/24."),
    )
    domain = SingleLineField(
        label=_("Email domain"),
        required=False,
        max_length=253,
        help_text=_("Such as example.org."),
    )
    country = SingleLineField(label=_("Country (name or code)"), required=False, max_length=60)
    created_from = _moment(_("Signed from (UTC)"))
    created_before = _moment(_("Signed before (UTC)"))
    name = SingleLineField(
        label=_("Name pattern"),
        required=False,
        max_length=NAME_PATTERN_MAX,
        help_text=_(
            "The whole name, first then last; * stands for any letters: “xx*”, “* Smith”."
        ),
        error_messages={
            "max_length": format_lazy(
                _("Keep the pattern to {limit} characters."), limit=NAME_PATTERN_MAX
            )
        },
    )

    def clean_network(self) -> str:
        text = self.cleaned_data["network"].strip()
        if not text:
            return ""
        try:
            return str(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise forms.ValidationError(
                _(
                    "Type a network as the report shows it, such as 203.0.113.0/24 "
                    "or 2001:db8:1::/48."
                )
            ) from None

    def clean_domain(self) -> str:
        text = self.cleaned_data["domain"].strip().lower().removeprefix("@")
        if text and not DOMAIN.fullmatch(text):
            raise forms.ValidationError(_("Type a domain only, such as example.org."))
        return text

    def clean_country(self) -> str:
        return country_code(self.cleaned_data["country"])

    def clean_name(self) -> str:
        text = " ".join(self.cleaned_data["name"].split())
        if text and not any(c.isalnum() for c in text):
            raise forms.ValidationError(_("A name pattern needs at least one letter or digit."))
        return text

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_before")
        if start and end and start >= end:
            self.add_error("created_before", _("This moment comes before the “from” moment."))
        return data

    def filters(self) -> BulkFilters:
        data = self.cleaned_data
        return BulkFilters(
            **{
                name: data.get(name) or BulkFilters.__dataclass_fields__[name].default
                for name in BulkFilters.__dataclass_fields__
            }
        )

    def query(self) -> dict:
        """The chosen filters as a query string's values, for links and hidden fields."""
        return {
            name: self.data[name]
            for name in self.fields
            if self.data.get(name) and name in BulkFilters.__dataclass_fields__
        }


KINDS = translated_choices(
    (k.value, k.label) for k in BulkAction.Kind if k != BulkAction.Kind.REVERSE
)


class BulkKindForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to do with them"), choices=KINDS, widget=forms.RadioSelect
    )


class BulkConfirmForm(SignatureChoiceForm, BulkKindForm):
    reason = SingleLineField(
        label=_("Why (kept in each signature's log)"),
        max_length=300,
        error_messages={
            "required": _("Say why, for the signatures' logs and the audit log."),
            "max_length": _("Keep the reason to 300 characters."),
        },
    )


class BulkReasonForm(forms.Form):
    reason = SingleLineField(
        label=_("Why (kept in each signature's log)"),
        max_length=300,
        error_messages={
            "required": _("Say why, for the signatures' logs and the audit log."),
            "max_length": _("Keep the reason to 300 characters."),
        },
    )
