"""A real SMTP server inside the test process (aiosmtpd), with scriptable answers."""

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RecordingHandler:
    messages: list[EmailMessage] = field(default_factory=list)
    # address -> list of replies to give to RCPT TO, consumed in order ("451 ..." then "250 OK").
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    # Every RCPT TO seen: (address, time.time(), reply), to measure retry spacing.
    rcpt_log: list[tuple[str, float, str]] = field(default_factory=list)
    # time.time() at which each message in `messages` was accepted.
    accepted_at: list[float] = field(default_factory=list)
    # Seconds spent before answering RCPT TO (a slow or overloaded server).
    rcpt_delay: float = 0.0
    # Seconds between the end of DATA and taking responsibility for the message (transfer,
    # content checks), and between taking it and the 250 reply: during the second a sender
    # that dies has had its message accepted without ever learning so.
    delay_before_accept: float = 0.0
    delay_after_accept: float = 0.0
    # Called in the server's thread the instant a message is accepted (fault injection).
    on_accept: Callable[[EmailMessage], None] | None = None
    # SMTP sessions open now, and the ids of those still open (see _CountingSMTP).
    open_sessions: set[int] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        reply = "250 OK"
        replies = self.rcpt_replies.get(address.lower())
        if replies:
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        self.rcpt_log.append((address.lower(), time.time(), reply))
        if not reply.startswith("250"):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay_before_accept:
            await asyncio.sleep(self.delay_before_accept)
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        delay_after = self.delay_after_accept  # as it was when this message came (on_accept may change it)
        self.accepted_at.append(time.time())
        self.messages.append(message)
        if self.on_accept:
            self.on_accept(message)
        if delay_after:
            await asyncio.sleep(delay_after)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


class _CountingSMTP(SMTP):
    """Tracks open sessions, so a test can wait until a killed client's session is over."""

    def connection_made(self, transport):
        self.event_handler.open_sessions.add(id(self))
        super().connection_made(transport)

    def connection_lost(self, error):
        super().connection_lost(error)
        self.event_handler.open_sessions.discard(id(self))


class _CountingController(Controller):
    def factory(self):
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


class SMTPServer:
    """Pass `port` to bring a server back on the port a stopped one had."""

    def __init__(self, port: int | None = None, handler: RecordingHandler | None = None):
        self.handler = handler or RecordingHandler()
        self.port = port or free_port()
        self.controller = _CountingController(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SMTPServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) bodies of a multipart/alternative message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html
