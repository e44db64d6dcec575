"""Email in tests: a real SMTP server on loopback, what it received, and the task worker.

Django's test environment swaps every MAILERS alias for the locmem backend when the session
starts; overriding `settings.MAILERS` afterwards (through pytest-django's `settings` fixture)
is read again on every send, so emails sent through `running_smtp_server` really travel over
SMTP to aiosmtpd. The `smtp_server`, `stopped_smtp_server` and `run_worker` fixtures in
tests/conftest.py are built from the pieces below.
"""

import email
import email.policy
import re
import signal
import socket
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import StringIO

from aiosmtpd.controller import Controller
from django.core.management import call_command

CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/newsletter/confirm/[^/\s\"'<>]+/")
UNSUBSCRIBE_LINK = re.compile(r"https?://[^\s\"'<>]+/newsletter/unsubscribe/[^/\s\"'<>]+/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse(content: bytes) -> email.message.EmailMessage:
    """Parse a message as received over SMTP, with the modern (`EmailMessage`) API."""
    return email.message_from_bytes(content, policy=email.policy.default)


@dataclass
class Received:
    """One message as the SMTP server received it."""

    envelope_to: list[str]
    message: email.message.EmailMessage

    @property
    def message_id(self) -> str:
        # A Message-ID too long for one line is folded after "Message-ID:", which is valid;
        # the parser keeps the fold's whitespace, so strip it.
        return str(self.message["Message-ID"]).strip()

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()

    def link(self, pattern: re.Pattern, part: str = "text") -> str:
        found = pattern.findall(getattr(self, part))
        assert found, f"no link matching {pattern.pattern} in the {part} part"
        assert len(set(found)) == 1, f"several different links in the {part} part: {found}"
        return found[0]

    def confirm_url(self) -> str:
        return self.link(CONFIRM_LINK)

    def unsubscribe_url(self) -> str:
        return self.link(UNSUBSCRIBE_LINK)


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        message = parse(envelope.content)
        with self.server.lock:
            if self.server.reject_with:
                self.server.rejected.append(Received(list(envelope.rcpt_tos), message))
                return self.server.reject_with
            self.server.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SMTPServer:
    """An aiosmtpd server on loopback that keeps every message it accepts (or rejects)."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    rejected: list[Received] = field(default_factory=list)
    # An SMTP reply such as "451 ..." answers DATA with a failure instead of accepting.
    reject_with: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    def start(self):
        assert self._controller is None, "already running"
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address.lower() in (a.lower() for a in m.envelope_to)]

    def per_recipient(self) -> Counter:
        return Counter(a.lower() for m in self.messages for a in m.envelope_to)

    def mailers(self, timeout=5):
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": timeout},
            }
        }


@contextmanager
def running_smtp_server(settings, *, started=True):
    """Yield an SMTP server on loopback with MAILERS pointing at it; stop it on the way out.

    `settings` is pytest-django's fixture. With `started=False` nothing listens on the port
    until the test calls `server.start()`: a mail server that is down.
    """
    server = SMTPServer()
    if started:
        server.start()
    settings.MAILERS = server.mailers()
    try:
        yield server
    finally:
        server.stop()


def run_db_worker():
    """Run the database task worker until no task is ready (as `db_worker --batch` would)."""
    # db_worker installs its own SIGINT/SIGTERM/SIGQUIT handlers: give pytest its own back.
    signals = [signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)]
    saved = {sig: signal.getsignal(sig) for sig in signals if sig is not None}
    try:
        # Pass the flags as on the command line: `no_startup_delay=True` as a keyword would
        # set the option's destination, `startup_delay`, to True and so turn the delay on.
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
