"""The first admin of a production installation: an Owner account, and the organisation.

Loads no petition and no demo login, and never prints the password: it is asked for
twice in a terminal, or read from the first line of --password-file (`-` for stdin).
"""

import getpass
import sys

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from orgs.models import Organisation
from orgs.roles import owner_create


class Command(BaseCommand):
    help = "Create a staff account in the Owner role (and the organisation, if none exists)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--password-file",
            help="Read the password from the first line of this file; - reads standard input. "
            "Without it the password is asked for in the terminal.",
        )
        parser.add_argument("--organisation", help="The organisation's name (first run only).")
        parser.add_argument(
            "--postal-address",
            help="Printed in every email footer (first run only); \\n separates lines.",
        )
        parser.add_argument(
            "--privacy-email",
            help="Where people send privacy requests (first run only); defaults to --email.",
        )

    def handle(self, *args, **options):
        username, email = options["username"].strip(), options["email"].strip()
        self._check(username, email)
        organisation_fields = self._organisation_fields(options, email)
        password = self._password(options["password_file"])
        try:
            with transaction.atomic():
                if organisation_fields:
                    organisation = Organisation.objects.create(**organisation_fields)
                    self.stdout.write(f"Created the organisation {organisation.name}.")
                owner_create(username=username, email=email, password=password)
        except ValidationError as error:
            raise CommandError("The password was refused: " + " ".join(error.messages))
        self.stdout.write(
            f"Created the owner {username}. Sign in at {settings.BASE_URL}/staff/ "
            "with the password you chose."
        )

    def _check(self, username: str, email: str) -> None:
        if not username:
            raise CommandError("--username must not be empty.")
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"--email {email!r} is not an email address.")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} exists already; nothing changed.")

    def _organisation_fields(self, options, email: str) -> dict | None:
        if Organisation.objects.exists():
            return None
        name, address = options["organisation"], options["postal_address"]
        if not (name and name.strip() and address and address.strip()):
            raise CommandError(
                "No organisation exists yet: give --organisation and --postal-address too."
            )
        privacy_email = (options["privacy_email"] or email).strip()
        try:
            validate_email(privacy_email)
        except ValidationError:
            raise CommandError(f"--privacy-email {privacy_email!r} is not an email address.")
        return {
            "name": name.strip(),
            "postal_address": address.strip().replace("\\n", "\n"),
            "privacy_email": privacy_email,
        }

    def _password(self, path: str | None) -> str:
        if path == "-":
            password = sys.stdin.readline().rstrip("\r\n")
        elif path:
            try:
                with open(path, encoding="utf-8") as file:
                    password = file.readline().rstrip("\r\n")
            except OSError as error:
                raise CommandError(f"Cannot read the password file: {error.strerror}.")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing changed.")
        else:
            raise CommandError(
                "No terminal to ask for the password: give --password-file PATH "
                "(or --password-file - to read it from standard input)."
            )
        if not password:
            raise CommandError("The password is empty; nothing changed.")
        return password
