from django import forms
from django.utils.translation import gettext_lazy as _

from orgs.models import Invitation
from staff.labels import translated_choices

ROLE_HELP = {
    "Owner": _("Everything, including people, the organisation's settings and bulk exports."),
    "Campaigner": _("Creates and runs petitions; sees who signed."),
    "Analyst": _("Sees petitions, their numbers and who signed; changes nothing."),
}


def role_choices():
    return translated_choices(Invitation.Role.choices)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The invitation link goes to this address."),
        # The column's length: PostgreSQL refuses a longer value (a 500 before this).
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=role_choices, widget=forms.RadioSelect, initial="Campaigner"
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=role_choices, widget=forms.RadioSelect)
