"""What the disposable-domain list holds: `--count`, or `--check <address or domain>`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lib.addresses import InvalidEmail, email_domain_key, email_key, key_domain
from lib.disposable import disposable_domains


class Command(BaseCommand):
    help = (
        "Show the disposable mail domains signing flags: how many are loaded (the "
        "disposable-email-domains package plus DISPOSABLE_DOMAINS_FILE), or whether one "
        "address or domain is on the list."
    )

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--count", action="store_true", help="How many domains are loaded.")
        what.add_argument("--check", metavar="ADDRESS", help="An address or a domain to look up.")

    def handle(self, *args, count=False, check=None, **options):
        domains = disposable_domains.domains()
        if count:
            source = settings.DISPOSABLE_DOMAINS_FILE or "no DISPOSABLE_DOMAINS_FILE"
            self.stdout.write(
                f"{len(domains)} disposable domains loaded "
                f"({disposable_domains.added} added and {disposable_domains.removed} taken "
                f"off by {source}); signing: DISPOSABLE_DOMAINS={settings.DISPOSABLE_DOMAINS}"
            )
            return
        domain = self._domain(check.strip())
        listed = disposable_domains.matches(domain)
        self.stdout.write(f"{domain}: {'disposable' if listed else 'not on the list'}")

    def _domain(self, value: str) -> str:
        if "@" not in value:
            return email_domain_key(value)
        try:
            return key_domain(email_key(value))
        except InvalidEmail as exc:
            raise CommandError(f"Not a valid address: {exc}") from None
