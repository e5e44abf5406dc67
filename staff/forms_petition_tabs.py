"""Forms of a petition's workspace tabs: searching signatures, changing a state, updates."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from lib.forms import CleanModelForm, SingleLineField
from petitions.models import Channel, Signature, Update
from petitions.selectors import SignatureFilters
from staff.forms_search import PeopleSearchForm, date_field, day_start
from staff.labels import translated_choices

DIRECT = "direct"  # the form's name for the direct channel, whose stored value is ""


class SignatureSearchForm(PeopleSearchForm):
    """The signature list's search box and filters, read from the query string."""

    field_order = ["q", "state", "channel", "country", "date_from", "date_to"]
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *translated_choices(Signature.State.choices)],
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Any channel"))]
        + translated_choices((value or DIRECT, label) for value, label in Channel.choices),
    )
    date_from = date_field(_("Signed from"))
    date_to = date_field(_("Signed until"))

    def clean(self):
        data = super().clean()
        self.date_order_check("date_from", "date_to")
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
            created_from=day_start(data.get("date_from")),
            created_before=day_start(data.get("date_to"), days_after=1),
        )

    def country_name(self) -> str:
        code = self.cleaned_data.get("country") if self.is_valid() else ""
        return countries.name(code) if code else ""


class SignatureStateForm(forms.Form):
    note = SingleLineField(
        label=_("Why (kept in the signature's log)"),
        required=False,
        max_length=300,
        error_messages={"max_length": _("Keep the note to 300 characters.")},
    )


class UpdateForm(CleanModelForm):
    published_at = forms.DateTimeField(
        label=_("Publish at"),
        help_text=_("Shown on the petition page with this date. Times are UTC."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={"invalid": _("Enter a date and time, for example 2026-11-30 14:00.")},
    )

    class Meta:
        model = Update
        fields = ["title", "body", "published_at"]
        help_texts = {
            "body": _(
                "Markdown: *emphasis*, **strong**, [links](https://…), lists, quotes. "
                "Other HTML is removed."
            )
        }
