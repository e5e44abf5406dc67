"""Forms of the workspace's Members section: the list's search, the member page's
actions, and the consent rules by country."""

from django import forms
from django.conf import settings

from lib.forms import MultiLineField, SingleLineField
from members.models import Member
from members.selectors import MemberFilters
from staff.forms_search import PeopleSearchForm, country_code, date_field, day_start

COUNTRY_HELP = "Its English name or two-letter code, such as Germany or DE."


class MemberSearchForm(PeopleSearchForm):
    """The member list's search box and filters, read from the query string."""

    field_order = ["q", "status", "country", "joined_from", "joined_to"]
    status = forms.ChoiceField(
        label="Subscription",
        required=False,
        choices=[("", "Any subscription"), *Member.Status.choices],
    )
    joined_from = date_field("Joined from")
    joined_to = date_field("Joined until")

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
        label="Why (kept in the member’s consent ledger)",
        max_length=300,
        help_text="For example: asked by email on 30 November.",
        error_messages={
            "required": "Say why, for the ledger: for example, asked by email.",
            "max_length": "Keep the reason to 300 characters.",
        },
    )


class ConsentRuleForm(forms.Form):
    country = SingleLineField(
        label="Country",
        max_length=60,
        help_text=COUNTRY_HELP,
        error_messages={
            "required": "Type the country the rule is for.",
            "max_length": "Type a country's name or its two-letter code.",
        },
    )
    double_opt_in = forms.TypedChoiceField(
        label="Subscribing to mailings",
        coerce=lambda value: value == "yes",
        choices=[
            ("yes", "Needs its own confirmed opt-in (double opt-in)"),
            ("no", "The petition's opt-in box is enough"),
        ],
        widget=forms.RadioSelect,
        initial="yes",
        error_messages={"required": "Choose what subscribing needs in this country."},
    )
    note = SingleLineField(
        label="Note (optional)",
        required=False,
        max_length=300,
        help_text="Why: the law or your organisation's policy.",
        error_messages={"max_length": "Keep the note to 300 characters."},
    )

    def clean_country(self) -> str:
        return country_code(self.cleaned_data["country"])


class MemberImportForm(forms.Form):
    """Step 1 of an import: the file, where its people came from, and what they agreed to."""

    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma or semicolon separated, with a first line naming the columns: "
        "email (required), first name, last name, country, postcode, language.",
        error_messages={"required": "Choose the CSV file to import."},
    )
    source = SingleLineField(
        label="Where these people come from",
        max_length=200,
        help_text="Kept in each member’s consent ledger as “imported from …”, for example "
        "“the 2025 clean air paper petition”.",
        error_messages={"required": "Say where these people come from."},
    )
    consent_confirmed = forms.BooleanField(
        label="These people agreed to receive email from us in these words:",
        required=False,
    )
    wording = MultiLineField(
        label="The words they agreed to",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Leave the box unticked and this empty to import them without subscribing "
        "anyone.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.MEMBER_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is larger than {limit // (1024 * 1024)} MB. "
                "Split it into smaller files."
            )
        return upload

    def clean(self):
        data = super().clean()
        confirmed, wording = data.get("consent_confirmed"), data.get("wording", "")
        if confirmed and not wording:
            self.add_error("wording", "Give the exact words these people agreed to.")
        if wording and not confirmed:
            self.add_error(
                "consent_confirmed",
                "Tick the box to confirm they agreed to these words, or empty the words "
                "to import them without subscribing anyone.",
            )
        return data
