"""The default mail backend (EMAIL_URL=consolemail://): a few lines per email in the
terminal, the whole message in a file.

Django's console backend prints every message whole, base64 parts and all, so the link a
person wants to click scrolls away among a screen of HTML. This one prints the recipient,
the subject and the links of the text part, and writes the message as it would have been
sent to DATA_DIR/mail/<time>-<n>.eml, owner-only like the rest of DATA_DIR (the messages
carry signers' addresses and confirmation links). Any mail program opens a .eml file.
"""

import os
import re
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

BACKEND = "chorus.consolemail.ConsoleSummaryBackend"
# The URLs the templates write: up to whitespace or a closing bracket or quote.
LINK = re.compile(r"https?://[^\s<>\"')\]]+")


def mail_dir() -> Path:
    return Path(settings.DATA_DIR) / "mail"


def mail_banner() -> str:
    """The start-up line that says where mail goes (scripts/run.sh prints it)."""
    if settings.EMAIL_BACKEND == BACKEND:
        return (
            f"Mail:          not sent; each email shows here in a few lines and whole in "
            f"{mail_dir()}/ (set EMAIL_URL to send it)"
        )
    return f"Mail:          sent by {settings.EMAIL_BACKEND} (EMAIL_URL)"


class ConsoleSummaryBackend(BaseEmailBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            path = self.message_keep(message)
            with self._lock:
                self.stream.write(self.summary(message, path))
                self.stream.flush()
            sent += 1
        return sent

    def message_keep(self, message) -> Path:
        folder = mail_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        data = message.message().as_bytes(linesep="\r\n")
        # Several worker threads and processes write here: the first free number wins.
        n = 1
        while True:
            path = folder / f"{stamp}-{n}.eml"
            try:
                with open(path, "xb", opener=_owner_only) as file:
                    file.write(data)
                return path
            except FileExistsError:
                n += 1

    def summary(self, message, path: Path) -> str:
        lines = [f"mail: to {', '.join(message.to)}: {message.subject}"]
        # A link that ends a sentence keeps its full stop out of the printed link.
        links = (link.rstrip(".,;:!?") for link in LINK.findall(message.body))
        lines += [f"  {link}" for link in dict.fromkeys(links)]
        lines.append(f"  (whole message: {path})")
        return "\n".join(lines) + "\n"


def _owner_only(path, flags):
    return os.open(path, flags, 0o600)
