"""Remove a staff member's authenticator app and recovery codes (a lost or replaced phone)."""

import getpass
import socket

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from orgs.signin import second_factor_reset


class Command(BaseCommand):
    help = (
        "Remove USERNAME's authenticator app and recovery codes. Their next sign-in with "
        "their password starts the set-up again. Check who is asking before you run it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.")
        # No staff member is signed in here: the audit log names the operator's login.
        operator = f"chorus_reset_2fa run by {_os_user()} on {socket.gethostname()}"
        removed = second_factor_reset(user=user, by=None, operator=operator)
        self.stdout.write(
            f"Removed {removed} device(s) from {username}. Their next sign-in sets up a new "
            "authenticator app and new recovery codes."
        )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's bare user)
        return "an unnamed system user"
