"""Move stored email keys to the current rule (petitions.email_keys); --dry-run to look first."""

from django.core.management.base import BaseCommand, CommandError

from lib.addresses import EMAIL_KEY_VERSION
from petitions.email_keys import email_keys_migrate


class Command(BaseCommand):
    help = (
        f"Re-key signatures, members and suppressions to email key rule {EMAIL_KEY_VERSION}. "
        "Where two live signatures of a petition become one person, the newer is invalidated; "
        "where two members of the organisation do, both are reported and left to merge by "
        "hand. Safe to run again: only keys of an older rule are touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change; change nothing."
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, dry_run=False, batch_size=1000, **options):
        if not 1 <= batch_size <= 100_000:
            raise CommandError("--batch-size must be between 1 and 100000")
        done = email_keys_migrate(dry_run=dry_run, batch_size=batch_size, say=self.stdout.write)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{done.signatures} signature(s), {done.members} member(s) and "
            f"{done.suppressions} suppression(s) {verb} moved to email key rule "
            f"{EMAIL_KEY_VERSION}; {len(done.invalidated)} signature(s) {verb} invalidated as "
            f"repeats; {len(done.member_collisions)} pair(s) of members share a key and "
            f"{'would be' if dry_run else 'are'} left to merge by hand."
        )
