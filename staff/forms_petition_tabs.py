"""Forms of a petition's workspace tabs: searching signatures, changing a state, updates."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django_countries import countries

from lib.addresses import InvalidEmail, email_key
from lib.forms import CleanModelForm, SingleLineField
from petitions.models import Channel, Signature, Update
from petitions.selectors import SignatureFilters

DIRECT = "direct"  # the form's name for the direct channel, whose stored value is ""
SEARCH_MAX = 100
DATE_MESSAGE = "Enter a date as year-month-day, for example 2026-11-30."


class SignatureSearchForm(forms.Form):
    """The signature list's search box and filters, read from the query string."""

    q = SingleLineField(
        label="Name or email",
        required=False,
        max_length=SEARCH_MAX,
        help_text="The start of a name, or a whole email address.",
        error_messages={"max_length": f"Search for at most {SEARCH_MAX} characters."},
    )
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *Signature.State.choices]
    )
    channel = forms.ChoiceField(
        required=False,
        choices=[("", "Any channel")]
        + [(value or DIRECT, label) for value, label in Channel.choices],
    )
    country = SingleLineField(
        label="Country (name or code)",
        required=False,
        max_length=60,
        error_messages={"max_length": "Type a country's name or its two-letter code."},
    )
    date_from = forms.DateField(
        label="Signed from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": DATE_MESSAGE},
    )
    date_to = forms.DateField(
        label="Signed until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": DATE_MESSAGE},
    )

    def clean_q(self) -> str:
        query = " ".join(self.cleaned_data["q"].split())
        if "@" in query:
            try:
                self.cleaned_data["email_key"] = email_key(query)
            except InvalidEmail:
                raise forms.ValidationError(
                    "Searching by email needs the whole address, such as ada@example.org."
                ) from None
        return query

    def clean_country(self) -> str:
        text = self.cleaned_data["country"].strip()
        if not text:
            return ""
        if len(text) == 2 and text.upper() in dict(countries):
            return text.upper()
        code = countries.by_name(text)
        if not code:
            raise forms.ValidationError(
                f"No country is called “{text}”. Type its English name or its two-letter "
                "code, such as Germany or DE."
            )
        return code

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "This date comes before the “from” date.")
        return data

    def filters(self) -> SignatureFilters:
        data = self.cleaned_data
        email = data.get("email_key", "")
        channel = data.get("channel") or None
        return SignatureFilters(
            email_key=email,
            name="" if email else data.get("q", ""),
            state=data.get("state", ""),
            channel="" if channel == DIRECT else channel,
            country=data.get("country", ""),
            created_from=_day_start(data.get("date_from")),
            created_before=_day_start(data.get("date_to"), days_after=1),
        )

    def country_name(self) -> str:
        code = self.cleaned_data.get("country") if self.is_valid() else ""
        return countries.name(code) if code else ""


def _day_start(day, days_after: int = 0) -> datetime | None:
    if day is None:
        return None
    moment = datetime.combine(day + timedelta(days=days_after), time.min)
    return timezone.make_aware(moment)


class SignatureStateForm(forms.Form):
    note = SingleLineField(
        label="Why (kept in the signature's log)",
        required=False,
        max_length=300,
        error_messages={"max_length": "Keep the note to 300 characters."},
    )


class UpdateForm(CleanModelForm):
    published_at = forms.DateTimeField(
        label="Publish at",
        help_text="Shown on the petition page with this date. Times are UTC.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={"invalid": "Enter a date and time, for example 2026-11-30 14:00."},
    )

    class Meta:
        model = Update
        fields = ["title", "body", "published_at"]
        help_texts = {
            "body": "Markdown: *emphasis*, **strong**, [links](https://…), lists, quotes. "
            "Other HTML is removed."
        }
