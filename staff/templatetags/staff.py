from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

from staff.access import role_names
from staff.navigation import sections_for

register = template.Library()


@register.inclusion_tag("staff/_nav.html", takes_context=True)
def staff_nav(context):
    request = context["request"]
    items = [
        {
            "label": section.label,
            "url": reverse(section.url_name),
            "current": request.path.startswith(section.prefix),
        }
        for section in sections_for(request.user)
    ]
    return {"items": items}


@register.simple_tag
def staff_roles(user) -> str:
    return ", ".join(gettext(name) for name in role_names(user)) or gettext("No role")


@register.filter
def translated(label) -> str:
    """A model choice's English label in the active language (staff/labels.py lists them)."""
    return gettext(str(label)) if label else label


@register.simple_tag
def languages_offered() -> list[tuple[str, str]]:
    """settings.LANGUAGES as written there: each language named in itself, in any language
    (Django's get_available_languages would translate "English" to "Englisch")."""
    return settings.LANGUAGES
