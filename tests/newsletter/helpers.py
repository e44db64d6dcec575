"""Newsletter test helpers: a real SMTP server on loopback and what it received."""

import email
import email.policy
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller

SITE_URL = "https://www.policy-network.example"
CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/newsletter/confirm/[^/\s\"'<>]+/")
UNSUBSCRIBE_LINK = re.compile(r"https?://[^\s\"'<>]+/newsletter/unsubscribe/[^/\s\"'<>]+/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
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


def signup_data(address, **overrides):
    data = {
        "email": address,
        "name": "",
        "consent": "on",
        "website": "",
        "source": "/essays/the-new-wave-of-mutuality/",
    }
    data.update(overrides)
    return data


def path_of(url: str) -> str:
    """Return the path of an absolute link from an email, for the test client to follow."""
    assert url.startswith(SITE_URL + "/"), url
    return urlsplit(url).path
