"""Read one inbound message from standard input and act on it: a bounce, a complaint or
a mailto unsubscribe (mailings.inbound).

The mail server pipes each message to it, the way Postfix's pipe(8) and Exim's pipe
transport deliver to a program (docs/mailings.md, Inbound mail):

    manage.py chorus_mail_inbound --recipient "$RECIPIENT"

Exit status: 0 for a message handled and for one ignored (an auto-reply, garbage), so
the mail server never bounces a bounce; 75 (EX_TEMPFAIL) when the database cannot be
reached, so the mail server keeps the message and tries again later.
"""

import logging
import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError, InterfaceError, OperationalError

from mailings.inbound import MAX_BYTES, inbound_handle

logger = logging.getLogger("chorus.mailings.inbound")
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Act on one bounce, complaint or unsubscribe email read from standard input."
    stealth_options = ("stdin",)  # call_command(..., stdin=...) in tests

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipient",
            default="",
            help="The envelope recipient the message was delivered to ($RECIPIENT in "
            "Postfix's pipe, $local_part@$domain in Exim): names the mailing's recipient.",
        )

    def handle(self, *args, recipient="", **options):
        stream = options.get("stdin") or sys.stdin
        source = getattr(stream, "buffer", stream)
        raw = source.read(MAX_BYTES + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            outcome = inbound_handle(raw, envelope_recipient=recipient[:1000])
        except (OperationalError, InterfaceError) as error:
            logger.warning("inbound mail deferred: database unavailable (%s)", error)
            sys.exit(EX_TEMPFAIL)
        except DatabaseError:
            logger.exception("inbound mail not handled (database error)")
            sys.exit(EX_TEMPFAIL)
        except Exception:  # never bounce a bounce: log it and let the mail server drop it
            logger.exception("inbound mail not handled")
            outcome = "failed"
        logger.info("inbound mail: %s", outcome)
        self.stdout.write(outcome)
