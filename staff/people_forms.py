from django import forms

from orgs.models import Invitation

ROLE_HELP = {
    "Owner": "Everything, including people, the organisation's settings and bulk exports.",
    "Campaigner": "Creates and runs petitions; sees who signed.",
    "Analyst": "Sees petitions, their numbers and who signed; changes nothing.",
}


def role_choices():
    return [(value, label) for value, label in Invitation.Role.choices]


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="The invitation link goes to this address.",
        # The column's length: PostgreSQL refuses a longer value (a 500 before this).
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(choices=role_choices, widget=forms.RadioSelect, initial="Campaigner")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=role_choices, widget=forms.RadioSelect)
