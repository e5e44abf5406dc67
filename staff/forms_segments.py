"""The segment builder's form: a name, all/any, and a fixed number of condition rows.

Each row has every parameter input; the page's script (static/chorus/staff-segments.js)
shows only those the chosen kind takes, and without the script the labels say which
kind each belongs to. The rows only gather what was typed: mailings.segments checks it,
one row at a time, so each problem is shown on its own row.
"""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lib.forms import SingleLineField
from mailings.models import Mailing
from mailings.segments import KINDS, MAX_CONDITIONS, NAME_MAX, PARAMETERS, SegmentInvalid
from mailings.segments import definition_clean as segment_definition_clean
from members.models import Member
from petitions.models import Petition
from staff.labels import translated_choices

BLANK_ROWS = 3
CHOICES_SHOWN = 500


class SegmentForm(forms.Form):
    name = SingleLineField(
        label=_("Name"),
        max_length=NAME_MAX,
        required=False,  # required to save, not to count
        help_text=_("For staff only, such as “German signers of the clean air petition”."),
        error_messages={
            "max_length": format_lazy(_("Keep the name to {limit} characters."), limit=NAME_MAX)
        },
    )
    match = forms.ChoiceField(
        label=_("Members who match"),
        choices=[("all", _("All of the conditions")), ("any", _("Any of the conditions"))],
        widget=forms.RadioSelect,
        initial="all",
        error_messages={
            "required": _("Choose all or any."),
            "invalid_choice": _("Choose all or any."),
        },
    )


class ConditionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Condition"),
        required=False,
        choices=[("", _("Choose a condition…")), *translated_choices(KINDS.items())],
        error_messages={"invalid_choice": _("Choose a condition from the list.")},
    )
    negate = forms.BooleanField(label=_("Not (members who do not match this)"), required=False)
    petition = forms.TypedChoiceField(label=_("Petition"), required=False, coerce=int)
    mailing = forms.TypedChoiceField(label=_("Mailing"), required=False, coerce=int)
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        max_length=2000,
        help_text=_("Two-letter codes or English names, separated by commas: DE, Austria."),
        error_messages={"max_length": _("List at most 2,000 characters of countries.")},
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=500,
        help_text=_("Language codes separated by commas: de, fr, pt-BR."),
        error_messages={"max_length": _("List at most 500 characters of languages.")},
    )
    statuses = forms.MultipleChoiceField(
        label=_("Subscription"),
        required=False,
        choices=translated_choices(Member.Status.choices),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose subscriptions from the list.")},
    )
    joined_from = forms.CharField(
        label=_("Joined from"),
        required=False,
        max_length=10,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    joined_to = forms.CharField(
        label=_("Joined until"),
        required=False,
        max_length=10,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    days = forms.CharField(
        label=_("Days"),
        required=False,
        max_length=6,
        widget=forms.NumberInput(attrs={"min": 1, "max": 3650}),
        help_text=_("Signed any petition in this many days up to today."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        petitions = Petition.objects.filter(organisation=organisation).order_by("-id")
        mailings = Mailing.objects.filter(organisation=organisation).order_by("-id")
        self.fields["petition"].choices = [("", _("Choose a petition…"))] + [
            (p.pk, p.title) for p in petitions.only("pk", "title")[:CHOICES_SHOWN]
        ]
        self.fields["mailing"].choices = [("", _("Choose a mailing…"))] + [
            (m.pk, f"{m.name} ({m.get_state_display().lower()})")
            for m in mailings.only("pk", "name", "state")[:CHOICES_SHOWN]
        ]
        self.fields["petition"].error_messages["invalid_choice"] = _(
            "Choose a petition from the list."
        )
        self.fields["mailing"].error_messages["invalid_choice"] = _(
            "Choose a mailing from the list."
        )

    def condition(self) -> dict | None:
        """What this row says, as a definition's condition (unchecked), or None if empty."""
        data = self.cleaned_data
        kind = data.get("kind")
        if not kind:
            return None
        raw = {
            "petition": data.get("petition"),
            "mailing": data.get("mailing"),
            "countries": data.get("countries", ""),
            "languages": data.get("languages", ""),
            "statuses": data.get("statuses") or [],
            "from": data.get("joined_from", ""),
            "to": data.get("joined_to", ""),
            "days": data.get("days", ""),
        }
        return {
            "kind": kind,
            "negate": bool(data.get("negate")),
            **{key: raw[key] for key in PARAMETERS[kind]},
        }

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        condition = self.condition()
        if condition is not None:
            try:
                cleaned = segment_definition_clean(
                    organisation=self.organisation,
                    definition={"match": "all", "conditions": [condition]},
                )
            except SegmentInvalid as invalid:
                for message in invalid.messages:
                    message = message.removeprefix("Condition 1: ")
                    self.add_error(None, message[:1].upper() + message[1:])
            else:
                self.cleaned = cleaned["conditions"][0]
        return data


class BaseConditionFormSet(forms.BaseFormSet):
    def definition(self, match: str) -> dict:
        return {
            "match": match,
            "conditions": [
                form.cleaned for form in self.forms if getattr(form, "cleaned", None) is not None
            ],
        }


def condition_formset(*, organisation, data=None, definition=None):
    initial = [_row_initial(c) for c in (definition or {}).get("conditions", [])]
    extra = max(0, min(BLANK_ROWS, MAX_CONDITIONS - len(initial)))
    if not initial and extra:
        extra = max(extra, 1)
    factory = forms.formset_factory(
        ConditionForm,
        formset=BaseConditionFormSet,
        extra=extra,
        max_num=MAX_CONDITIONS,
        absolute_max=MAX_CONDITIONS,
        validate_max=True,
    )
    return factory(
        data,
        prefix="c",
        initial=initial or None,
        form_kwargs={"organisation": organisation},
        error_messages={
            "too_many_forms": format_lazy(
                _("A segment has at most {limit} conditions."), limit=MAX_CONDITIONS
            ),
            "missing_management_form": _(
                "The form was incomplete. Reload the page and try again."
            ),
        },
    )


def _row_initial(condition: dict) -> dict:
    return {
        "kind": condition.get("kind", ""),
        "negate": condition.get("negate", False),
        "petition": condition.get("petition"),
        "mailing": condition.get("mailing"),
        "countries": ", ".join(condition.get("countries", [])),
        "languages": ", ".join(condition.get("languages", [])),
        "statuses": condition.get("statuses", []),
        "joined_from": condition.get("from", ""),
        "joined_to": condition.get("to", ""),
        "days": condition.get("days", ""),
    }
