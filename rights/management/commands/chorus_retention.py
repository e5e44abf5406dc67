from django.core.management.base import BaseCommand

from rights.retention import retention_run


class Command(BaseCommand):
    help = (
        "Apply the retention rules now: anonymise signers of long-closed petitions, drop "
        "old IP hashes and networks, delete expired self-service links (docs/privacy.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        run = retention_run(dry_run=dry_run)
        verb = "Would" if dry_run else "Did"
        self.stdout.write(
            f"{verb} anonymise {run.signers_anonymised} signatures of closed petitions, "
            f"drop the IP hash and network of {run.ip_dropped}, "
            f"and delete {run.links_deleted} expired self-service links."
        )
