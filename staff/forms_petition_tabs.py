"""Forms of a petition's workspace tabs: searching signatures, changing a state, updates,
translations."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from lib.forms import CleanModelForm, SingleLineField
from petitions.models import Channel, PetitionTranslation, Signature, Update
from petitions.selectors import SignatureFilters
from staff.forms_search import PeopleSearchForm, date_field, day_start

DIRECT = "direct"  # the form's name for the direct channel, whose stored value is ""


class SignatureSearchForm(PeopleSearchForm):
    """The signature list's search box and filters, read from the query string."""

    field_order = ["q", "state", "channel", "country", "date_from", "date_to"]
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *Signature.State.choices]
    )
    channel = forms.ChoiceField(
        required=False,
        choices=[("", "Any channel")]
        + [(value or DIRECT, label) for value, label in Channel.choices],
    )
    date_from = date_field("Signed from")
    date_to = date_field("Signed until")

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


class PetitionTranslationForm(CleanModelForm):
    """The petition's ask, target, summary and story in one other language."""

    class Meta:
        model = PetitionTranslation
        fields = ["title", "target", "summary", "story"]
        labels = {
            "title": _("The ask"),
            "target": _("Who can make it happen (the target)"),
            "summary": _("Summary"),
            "story": _("The story"),
        }
        help_texts = {
            "title": _("The page's heading, in this language."),
            "summary": _("One or two sentences, shown in link previews."),
            "story": _(
                "Markdown: **bold**, *italic*, [links](https://…), lists and ## headings. "
                "Other HTML is removed."
            ),
        }
        widgets = {
            "story": forms.Textarea(attrs={"rows": 12}),
            "summary": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "title": {
                "required": _("Enter the ask in this language."),
                "max_length": _(
                    "Keep the ask to %(limit_value)d characters or fewer (it has %(show_value)d)."
                ),
            },
            "target": {
                "required": _("Enter who the petition is addressed to, in this language."),
                "max_length": _(
                    "Keep the target to %(limit_value)d characters or fewer "
                    "(it has %(show_value)d)."
                ),
            },
            "summary": {
                "required": _("Enter a short summary in this language."),
                "max_length": _(
                    "Keep the summary to %(limit_value)d characters or fewer "
                    "(it has %(show_value)d)."
                ),
            },
            "story": {"required": _("Tell the story in this language.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["summary"].widget.attrs.pop("maxlength", None)
