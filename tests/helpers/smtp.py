"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the email tests."""

from __future__ import annotations

import contextlib
import email
import email.policy
from collections.abc import Iterator

from aiosmtpd.controller import Controller

from tests.helpers.server_process import free_port


class Inbox:
    """What the SMTP server received; addresses in `refuse` get a 550 at RCPT."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()
