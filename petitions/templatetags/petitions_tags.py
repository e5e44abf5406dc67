from functools import lru_cache

from django import template
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from petitions.forms import country_choices

register = template.Library()


@register.simple_tag
def country_options(selected="") -> SafeString:
    """The country <option>s with `selected` marked, built once per value.

    Rendering some 250 options through the template language was most of the
    time it took to render the petition page.
    """
    language = translation.get_language() or ""
    return _country_options(selected if isinstance(selected, str) else "", language)


@lru_cache(maxsize=1200)
def _country_options(selected: str, language: str) -> SafeString:
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(
                    '<option value="{}"{}>{}</option>',
                    code,
                    " selected" if code == selected else "",
                    name,
                ),
            )
            for code, name in country_choices()
        ),
    )
