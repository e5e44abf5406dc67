"""Print the code a demo account's authenticator app would show now.

For trying the demo without a phone at hand. It answers only for the accounts listed
in the demo login file (`make run` writes it, owner-only), whose app keys that file
already holds, so it gives away nothing its reader does not have.
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from orgs.signin import totp_device_confirmed


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo staff account (make run's demo)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        login_file = settings.DATA_DIR / "demo-login.txt"
        listed = login_file.exists() and f"username: {username}\n" in login_file.read_text()
        if not listed:
            raise CommandError(f"{username} is not a demo account listed in {login_file}.")
        user = User.objects.filter(username=username).first()
        device = user and totp_device_confirmed(user=user)
        if not device:
            raise CommandError(f"{username} has no authenticator app set up.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
