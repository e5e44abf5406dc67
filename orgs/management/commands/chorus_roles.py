"""Bring the built-in staff roles (Owner, Campaigner, Analyst) to this version's definition."""

from django.core.management.base import BaseCommand

from orgs.roles import ROLES, roles_ensure


class Command(BaseCommand):
    help = (
        "Set the permissions of the built-in roles to what this version of Chorus defines. "
        "Run after migrate on an upgrade; changes made by hand to these groups are undone."
    )

    def handle(self, *args, **options):
        roles_ensure()
        self.stdout.write("Built-in roles up to date: " + ", ".join(ROLES) + ".")
