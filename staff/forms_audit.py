"""The audit log's filters, read from the query string."""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lib.forms import SingleLineField
from orgs.models import AuditEvent
from staff.forms_search import date_field, day_start
from staff.labels import translated_choices

SEARCH_MAX = 100
CHORUS = "chorus"  # the "who" of rows nobody signed in wrote: jobs, commands, links


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    by_chorus: bool = False
    since: datetime | None = None
    before: datetime | None = None
    text: str = ""


def _who_choices() -> list[tuple[str, str]]:
    staff = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).order_by("username")
    return [
        ("", _("Anyone")),
        (CHORUS, _("Chorus (a job, a command or a person's own link)")),
        *((str(pk), name) for pk, name in staff.values_list("pk", "username")),
    ]


class AuditSearchForm(forms.Form):
    q = SingleLineField(
        label=_("Search what was done and to what"),
        required=False,
        max_length=SEARCH_MAX,
        help_text=_("Words from the summary or the target, such as a petition's title."),
        error_messages={
            "max_length": format_lazy(
                _("Search for at most {limit} characters."), limit=SEARCH_MAX
            )
        },
    )
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action")), *translated_choices(AuditEvent.Action.choices)],
        error_messages={"invalid_choice": _("Choose an action from the list.")},
    )
    who = forms.ChoiceField(
        label=_("Done by"),
        required=False,
        error_messages={"invalid_choice": _("Choose a person from the list.")},
    )
    since = date_field(_("From"))
    until = date_field(_("Until"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["who"].choices = _who_choices()

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until and until.year >= 9999:  # the day after it is past the calendar's end
            raise forms.ValidationError(_("Enter a date before the year 9999."))
        return until

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("This date comes before the “from” date."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        who = data.get("who", "")
        return AuditFilters(
            action=data.get("action", ""),
            actor_id=int(who) if who.isdigit() else None,
            by_chorus=who == CHORUS,
            since=day_start(data.get("since")),
            before=day_start(data.get("until"), days_after=1),
            text=data.get("q", ""),
        )
