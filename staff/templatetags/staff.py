from django import template
from django.urls import reverse

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
    return ", ".join(role_names(user)) or "No role"
