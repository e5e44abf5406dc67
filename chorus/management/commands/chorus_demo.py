"""Load the demo organisation, its staff, and a campaign with a few weeks of signers.
Safe to run again: a second run changes nothing.

For a laptop (`make run`) only: production sets up with `migrate` and
`chorus_create_owner`, which load no petition and no demo login.
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from chorus.demo.campaign import demo_campaign_ensure
from chorus.demo.mailing import demo_mailing_ensure
from chorus.demo.translations import demo_translations_ensure
from orgs.models import Organisation
from orgs.roles import DemoAccount, demo_logins_ensure, roles_ensure

DEMO_ACCOUNTS = [
    DemoAccount(username="owner", role="Owner", first_name="Noor", last_name="Haddad"),
    DemoAccount(username="campaigner", role="Campaigner", first_name="Sam", last_name="Okafor"),
]


class Command(BaseCommand):
    help = "Load the demo organisation, two staff logins and the demo campaign."

    def handle(self, *args, **options):
        organisation = Organisation.objects.current() or Organisation.objects.create(
            name="Open Faces Alliance",
            postal_address="12 Example Street\nLondon N1 0AA\nUnited Kingdom",
            privacy_email="privacy@openfaces.example",
        )
        roles_ensure()
        login_file = settings.DATA_DIR / "demo-login.txt"
        demo_logins_ensure(accounts=DEMO_ACCOUNTS, login_file=login_file)
        owner = User.objects.filter(username="owner").first()
        petition = demo_campaign_ensure(organisation=organisation, by=owner)
        demo_translations_ensure(petition=petition, by=owner)
        demo_mailing_ensure(organisation=organisation, petition=petition, by=owner)
        self.stdout.write(f"Demo petition: {settings.BASE_URL}{petition.get_absolute_url()}")
        self.stdout.write(f"Staff area:    {settings.BASE_URL}/staff/")
        usernames = " and ".join(a.username for a in DEMO_ACCOUNTS)
        # Passwords and app keys go to their owner-only file, never to the terminal or a log.
        if login_file.exists():
            self.stdout.write(
                f"Staff logins:  {usernames}; passwords and authenticator app keys in {login_file}"
            )
        else:
            self.stdout.write(
                f"Staff logins:  {usernames}; their file {login_file} is gone: set a new "
                "password with `manage.py changepassword <username>`, and a new app with "
                "`manage.py chorus_reset_2fa <username>`"
            )
