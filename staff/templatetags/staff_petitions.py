"""Template helpers for the petition form pages."""

from django import template

register = template.Library()


@register.simple_tag
def described_widget(field):
    """The field's widget, pointing screen readers at its help and its errors.

    Django links the help text by itself; an error message is what a person most needs
    read out when they come back to the field, so it is linked as well.
    """
    ids = []
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    attrs = {"aria-describedby": " ".join(ids)} if ids else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
