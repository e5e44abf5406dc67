from django import forms


class SignInForm(forms.Form):
    # Checking the password is the view's job (orgs.signin.staff_authenticate): it must
    # be throttled first, and a form's clean() would run it on any access to its errors.
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    """A code from the app, or a recovery code (letters and digits)."""

    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class FirstCodeForm(CodeForm):
    """The first code from a newly added app: digits only. Not focused on arrival, so that
    a phone shows the set-up's explanation first."""

    code = forms.CharField(
        label="6-digit code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
