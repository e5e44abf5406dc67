from django import template

register = template.Library()


@register.filter
def grouped(number) -> str:
    """12345 -> "12,345": counts read at a glance, in the workspace's one language."""
    try:
        return f"{int(number):,}"
    except (TypeError, ValueError):
        return ""
