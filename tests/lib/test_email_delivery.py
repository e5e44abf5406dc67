"""What the mail server is asked to deliver for addresses beyond plain ASCII."""

from lib.addresses import email_normalise
from lib.mail import mail_send
from tests.lib.test_mail import smtp_server  # noqa: F401 (a fixture)


def test_an_internationalised_domain_is_delivered_as_punycode(smtp_server):  # noqa: F811
    recorder, _ = smtp_server

    mail_send(
        template="petitions/email/confirm",
        to=email_normalise("ada@exämple.org"),
        context={
            "petition": {"title": "Stop it", "target": "PhotoCircle"},
            "organisation": {"name": "Open Faces", "postal_address": "1 Street"},
            "confirm_url": "https://example.org/c/x/",
            "petition_url": "https://example.org/p/x/",
        },
    )

    assert recorder.recipients == ["ada@xn--exmple-cua.org"]
