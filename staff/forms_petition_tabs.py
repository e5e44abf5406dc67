"""Forms of a petition's workspace tabs: searching signatures, changing a state, updates,
translations."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from lib.forms import CleanModelForm, MultiLineField, SingleLineField
from petitions.models import Channel, PetitionTranslation, Signature, Update
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
        labels = {"title": _("Title"), "body": _("Body")}
        help_texts = {
            "body": _(
                "Markdown: *emphasis*, **strong**, [links](https://…), lists, quotes. "
                "Other HTML is removed."
            )
        }


EMAIL_SIGNERS_LABEL = _("Email this update to signers who agreed to hear about this petition")
EMAIL_SIGNERS_HELP = _(
    "Once, to every confirmed signer who ticked “Email me about this and other campaigns” "
    "and is still subscribed; never to unsubscribed, bounced or suppressed addresses."
)


class UpdateEmailForm(UpdateForm):
    """An update, and whether to email it to the petition's consenting signers."""

    email_signers = forms.BooleanField(
        required=False, label=EMAIL_SIGNERS_LABEL, help_text=EMAIL_SIGNERS_HELP
    )


class ResponseForm(forms.Form):
    """The target's response, shown on the public page; all empty removes it."""

    text = MultiLineField(
        label=_("Their response"),
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("As they said it, or a fair summary. Shown on the petition page."),
    )
    on = forms.DateField(
        label=_("Date of the response"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Enter a date, for example 2026-03-03.")},
    )
    url = SingleLineField(
        label=_("Link to the response (optional)"),
        required=False,
        max_length=500,
        help_text=_("A web address starting with https://, where the whole response can be read."),
    )


class SigningAfterVictoryForm(forms.Form):
    keep_signing = forms.BooleanField(
        required=False,
        label=_("Keep collecting signatures after the victory"),
        help_text=_("Unticked, the sign form is replaced by a notice that signing has stopped."),
    )


class OutcomeActionForm(forms.Form):
    """Options of declaring victory or closing: signing, a message, the email."""

    keep_signing = forms.BooleanField(
        required=False,
        label=_("Keep collecting signatures after the victory"),
        help_text=_("Leave it unticked to stop signing; you can change this later."),
    )
    title = SingleLineField(
        label=_("Title of the message to signers (optional)"),
        required=False,
        max_length=200,
    )
    body = MultiLineField(
        label=_("Message to signers (optional)"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Posted as an update on the petition page. Markdown."),
    )
    email_signers = forms.BooleanField(
        required=False,
        label=_("Email the message to signers who agreed to hear about this petition"),
        help_text=EMAIL_SIGNERS_HELP,
    )

    def clean(self):
        data = super().clean()
        if data.get("body") and not data.get("title"):
            self.add_error("title", _("Give the message a title."))
        if data.get("title") and not data.get("body"):
            self.add_error("body", _("Write the message, or clear its title."))
        if data.get("email_signers") and not data.get("body"):
            self.add_error("email_signers", _("Write a message to email it."))
        return data


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
