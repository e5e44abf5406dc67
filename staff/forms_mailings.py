"""Forms of the workspace's Mailings section: compose, schedule, preview as a member."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lib.addresses import InvalidEmail, email_key
from lib.forms import MultiLineField, SingleLineField
from mailings.models import Mailing, Segment
from mailings.render import merge_field_errors
from mailings.services import LIMITS, SAMPLE_PERCENT, VARIANT_LETTERS
from members.models import Member
from petitions.models import Petition
from staff.labels import translated_choices

MERGE_HELP = _(
    "Markdown: **bold**, *italic*, [a link](https://example.org), blank lines between "
    "paragraphs. Merge fields: {{first_name|friend}} (the first name, or “friend”), "
    "{{petition_link}} (the member’s own link to the petition), {{unsubscribe_link}}."
)
WAITS = [
    (30, "30 minutes"),
    (60, "1 hour"),
    (120, "2 hours"),
    (240, "4 hours"),
    (480, "8 hours"),
    (720, "12 hours"),
    (1440, "24 hours"),
    (2880, "48 hours"),
]

# A label in lower case inside a sentence, once the active language is known.
_lower = lazy(lambda text: str(text).lower(), str)


def _text(label, limit, *, required=True, help_text="", multi=False):
    field = MultiLineField if multi else SingleLineField
    return field(
        label=label,
        required=required,
        max_length=limit,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 14}) if multi else None,
        error_messages={
            "required": format_lazy(_("Write the {field}."), field=_lower(label)),
            "max_length": format_lazy(
                _("Keep the {field} to {limit} characters."),
                field=_lower(label),
                limit=f"{limit:,}",
            ),
        },
    )


class MailingForm(forms.Form):
    name = _text(_("Name"), LIMITS["name"], help_text=_("For staff only; members never see it."))
    subject = _text(_("Subject"), LIMITS["subject"], help_text=_("Merge fields work here too."))
    preheader = _text(
        _("Preview text"),
        LIMITS["preheader"],
        required=False,
        help_text=_("The line inboxes show after the subject."),
    )
    from_name = _text(_("From name"), LIMITS["from_name"])
    from_address = forms.ChoiceField(
        label=_("From address"),
        error_messages={"invalid_choice": _("Choose the from address from the list.")},
    )
    reply_to = forms.EmailField(
        label=_("Reply-to address"),
        required=False,
        max_length=254,
        help_text=_("Where replies go; empty for the from address."),
        error_messages={"invalid": _("Enter an email address, such as campaigns@example.org.")},
    )
    petition = forms.ModelChoiceField(
        label=_("Petition (the action)"),
        queryset=Petition.objects.none(),
        required=False,
        empty_label=_("No petition"),
        error_messages={"invalid_choice": _("Choose one of this organisation’s petitions.")},
    )
    segment = forms.ModelChoiceField(
        label=_("Send to segment"),
        queryset=Segment.objects.none(),
        required=False,
        empty_label=_("Choose later"),
        error_messages={"invalid_choice": _("Choose one of this organisation’s segments.")},
    )
    body = _text(_("Body"), LIMITS["body"], help_text=MERGE_HELP, multi=True)
    variant_a = _text(_("Subject A"), LIMITS["subject"], required=False)
    variant_b = _text(_("Subject B"), LIMITS["subject"], required=False)
    variant_c = _text(_("Subject C"), LIMITS["subject"], required=False)
    variant_d = _text(_("Subject D"), LIMITS["subject"], required=False)
    ab_sample_percent = forms.IntegerField(
        label=_("Test sample (percent of recipients)"),
        min_value=SAMPLE_PERCENT[0],
        max_value=SAMPLE_PERCENT[1],
        initial=20,
        error_messages={
            "min_value": _("The sample is at least 5 percent."),
            "max_value": _("The sample is at most 50 percent."),
            "invalid": _("Enter a whole number between 5 and 50."),
            "required": _("Enter a whole number between 5 and 50."),
        },
    )
    ab_wait_minutes = forms.TypedChoiceField(
        label=_("Pick the winner after"), choices=WAITS, coerce=int, initial=240
    )
    ab_metric = forms.ChoiceField(
        label=_("The winner has the most"),
        choices=translated_choices(Mailing.Metric.choices),
        initial="clicks",
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["from_address"].choices = [(a, a) for a in settings.MAILING_SENDERS]
        self.fields["petition"].queryset = Petition.objects.filter(
            organisation=organisation
        ).order_by("-id")
        self.fields["segment"].queryset = Segment.objects.filter(organisation=organisation)
        if not self.is_bound and not self.initial.get("from_name"):
            self.initial["from_name"] = organisation.email_sender_name

    @classmethod
    def initial_from(cls, mailing: Mailing) -> dict:
        initial = {
            name: getattr(mailing, name)
            for name in (
                "name",
                "subject",
                "preheader",
                "from_name",
                "from_address",
                "reply_to",
                "body",
                "ab_sample_percent",
                "ab_wait_minutes",
                "ab_metric",
            )
        }
        initial["petition"], initial["segment"] = mailing.petition_id, mailing.segment_id
        for variant in mailing.variants.all():
            initial[f"variant_{variant.letter.lower()}"] = variant.subject
        return initial

    def _merge_check(self, name):
        value = self.cleaned_data.get(name, "")
        errors = merge_field_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return value

    def clean_subject(self):
        return self._merge_check("subject")

    def clean_preheader(self):
        return self._merge_check("preheader")

    def clean_body(self):
        return self._merge_check("body")

    def clean(self):
        data = super().clean()
        variants = []
        for letter in VARIANT_LETTERS:
            name = f"variant_{letter.lower()}"
            value = data.get(name, "")
            if value:
                errors = merge_field_errors(value)
                if errors:
                    self.add_error(name, errors)
                variants.append(value)
        if len(variants) == 1:
            self.add_error(
                "variant_b", _("A subject-line test needs at least two subjects (or none).")
            )
        elif len(set(variants)) != len(variants):
            self.add_error("variant_b", _("Each subject in the test must differ from the others."))
        data["variants"] = variants
        body = data.get("body", "")
        if "petition_link" in body and not data.get("petition") and "petition" not in self.errors:
            self.add_error("petition", _("The body has {{petition_link}}: choose its petition."))
        return data

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        for letter in VARIANT_LETTERS:
            data.pop(f"variant_{letter.lower()}", None)
        return data


class ScheduleForm(forms.Form):
    when = forms.ChoiceField(
        label=_("When"),
        choices=[("now", _("Send now")), ("later", _("At a time"))],
        widget=forms.RadioSelect,
        initial="now",
    )
    at = forms.DateTimeField(
        label=format_lazy(_("Date and time ({zone})"), zone=settings.TIME_ZONE),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={"invalid": _("Enter a date and time, such as 2026-12-24 09:00.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("when") == "later":
            at = data.get("at")
            if at is None:
                if "at" not in self.errors:
                    self.add_error("at", _("Choose the date and time to send it."))
            elif at <= timezone.now():
                self.add_error(
                    "at", _("That time has passed: choose a time to come, or send now.")
                )
        else:
            data["at"] = None
        return data


class PreviewAsForm(forms.Form):
    """Whose eyes to preview through: a member's whole email address or their number."""

    member = SingleLineField(
        label=_("Preview as member"),
        required=False,
        max_length=254,
        help_text=_("A member’s whole email address or member number."),
        error_messages={"max_length": _("Type a whole email address or a member number.")},
    )

    def member_for(self, organisation) -> Member | None:
        value = self.cleaned_data.get("member", "") if self.is_valid() else ""
        if not value:
            return None
        members = Member.objects.filter(organisation=organisation)
        if value.isdigit() and len(value) < 19:
            return members.filter(pk=int(value)).first()
        try:
            return members.filter(email_key=email_key(value)).first()
        except InvalidEmail:
            return None
