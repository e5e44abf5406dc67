"""Forms of the workspace's Members section: the list's search, the member page's
actions, and the consent rules by country."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lib.forms import MultiLineField, SingleLineField
from members.models import Member
from members.selectors import MemberFilters
from staff.forms_search import PeopleSearchForm, country_code, date_field, day_start
from staff.labels import translated_choices

COUNTRY_HELP = _("Its English name or two-letter code, such as Germany or DE.")


class MemberSearchForm(PeopleSearchForm):
    """The member list's search box and filters, read from the query string."""

    field_order = ["q", "status", "country", "joined_from", "joined_to"]
    status = forms.ChoiceField(
        label=_("Subscription"),
        required=False,
        choices=[("", _("Any subscription")), *translated_choices(Member.Status.choices)],
    )
    joined_from = date_field(_("Joined from"))
    joined_to = date_field(_("Joined until"))

    def clean(self):
        data = super().clean()
        self.date_order_check("joined_from", "joined_to")
        return data

    def filters(self) -> MemberFilters:
        data = self.cleaned_data
        key = data.get("email_key", "")
        return MemberFilters(
            email_key=key,
            name="" if key else data.get("q", ""),
            status=data.get("status", ""),
            country=data.get("country", ""),
            joined_from=day_start(data.get("joined_from")),
            joined_before=day_start(data.get("joined_to"), days_after=1),
        )


class ReasonForm(forms.Form):
    """Why staff unsubscribe or suppress someone: kept in the consent ledger."""

    reason = SingleLineField(
        label=_("Why (kept in the member’s consent ledger)"),
        max_length=300,
        help_text=_("For example: asked by email on 30 November."),
        error_messages={
            "required": _("Say why, for the ledger: for example, asked by email."),
            "max_length": _("Keep the reason to 300 characters."),
        },
    )


class ConsentRuleForm(forms.Form):
    country = SingleLineField(
        label=_("Country"),
        max_length=60,
        help_text=COUNTRY_HELP,
        error_messages={
            "required": _("Type the country the rule is for."),
            "max_length": _("Type a country's name or its two-letter code."),
        },
    )
    double_opt_in = forms.TypedChoiceField(
        label=_("Subscribing to mailings"),
        coerce=lambda value: value == "yes",
        choices=[
            ("yes", _("Needs its own confirmed opt-in (double opt-in)")),
            ("no", _("The petition's opt-in box is enough")),
        ],
        widget=forms.RadioSelect,
        initial="yes",
        error_messages={"required": _("Choose what subscribing needs in this country.")},
    )
    note = SingleLineField(
        label=_("Note (optional)"),
        required=False,
        max_length=300,
        help_text=_("Why: the law or your organisation's policy."),
        error_messages={"max_length": _("Keep the note to 300 characters.")},
    )

    def clean_country(self) -> str:
        return country_code(self.cleaned_data["country"])


class MemberImportForm(forms.Form):
    """Step 1 of an import: the file, where its people came from, and what they agreed to."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, comma or semicolon separated, with a first line naming the columns: "
            "email (required), first name, last name, country, postcode, language."
        ),
        error_messages={"required": _("Choose the CSV file to import.")},
    )
    source = SingleLineField(
        label=_("Where these people come from"),
        max_length=200,
        help_text=_(
            "Kept in each member’s consent ledger as “imported from …”, for example "
            "“the 2025 clean air paper petition”."
        ),
        error_messages={"required": _("Say where these people come from.")},
    )
    consent_confirmed = forms.BooleanField(
        label=_("These people agreed to receive email from us in these words:"),
        required=False,
    )
    wording = MultiLineField(
        label=_("The words they agreed to"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Leave the box unticked and this empty to import them without subscribing anyone."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.MEMBER_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("This file is larger than %(megabytes)s MB. Split it into smaller files.")
                % {"megabytes": limit // (1024 * 1024)}
            )
        return upload

    def clean(self):
        data = super().clean()
        confirmed, wording = data.get("consent_confirmed"), data.get("wording", "")
        if confirmed and not wording:
            self.add_error("wording", _("Give the exact words these people agreed to."))
        if wording and not confirmed:
            self.add_error(
                "consent_confirmed",
                _(
                    "Tick the box to confirm they agreed to these words, or empty the words "
                    "to import them without subscribing anyone."
                ),
            )
        return data
