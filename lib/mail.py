"""Emails as three templates side by side: subject, text body and HTML body."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    """Links in emails come from BASE_URL, never from a request's Host header."""
    return settings.BASE_URL + path


def mail_send(*, template: str, to: str, context: dict, headers: dict | None = None) -> None:
    subject = render_to_string(f"{template}_subject.txt", context).strip().splitlines()[0]
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        from_email=settings.DEFAULT_FROM_EMAIL,
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    message.send()
