"""A local SMTP sink that logs one line per recipient per message: `<epoch> <address>`.

    python bench/smtp_sink.py --port 2525 --log .tmp/bench/mail.log

The drill and the benchmark count these lines to see every signer got their email and
how many got it twice.
"""

import argparse
import signal
import threading
import time

from aiosmtpd.controller import Controller


class RecipientLog:
    def __init__(self, path: str):
        self.file = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        stamp = time.time()
        for address in envelope.rcpt_tos:
            self.file.write(f"{stamp:.3f} {address}\n")
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    controller = Controller(RecipientLog(args.log), hostname=args.host, port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"smtp sink on {args.host}:{args.port}, logging to {args.log}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
