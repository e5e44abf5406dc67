"""Every sign form has fields of its own, copied cheaply but as Django would copy them."""

from django import forms

from petitions.forms import SignatureForm


def test_a_change_to_one_forms_fields_reaches_no_other_form():
    changed, other = SignatureForm(), SignatureForm()

    changed.fields["first_name"].label = "Given name"
    changed.fields["first_name"].required = False
    changed.fields["comment"].widget.attrs["rows"] = 9
    changed.fields["email"].error_messages["required"] = "Changed."
    changed.fields["email"].validators.append(lambda value: None)

    for form in (other, SignatureForm()):
        assert form.fields["first_name"].label == "First name"
        assert form.fields["first_name"].required is True
        assert form.fields["comment"].widget.attrs["rows"] == 2
        assert form.fields["email"].error_messages["required"] != "Changed."
        assert len(form.fields["email"].validators) == len(
            SignatureForm.base_fields["email"].validators
        )
    assert changed.fields["comment"].widget is not other.fields["comment"].widget


def test_no_field_or_widget_of_the_form_needs_a_copy_of_its_own_kind():
    # The cheap copy repeats Field.__deepcopy__ and Widget.__deepcopy__; a field that
    # copies more (a ChoiceField's choices, say) must not be added to the form unnoticed.
    for name, field in SignatureForm.base_fields.items():
        field_copiers = [c for c in type(field).__mro__ if "__deepcopy__" in vars(c)]
        widget_copiers = [c for c in type(field.widget).__mro__ if "__deepcopy__" in vars(c)]
        assert field_copiers == [forms.Field], name
        assert widget_copiers == [forms.Widget], name


def test_a_copied_form_validates_as_the_declared_one():
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"}
    form = SignatureForm({**data, "country": "GB"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["first_name"] == "Ada"
    assert not SignatureForm({**data, "country": "XX"}).is_valid()
