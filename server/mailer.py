"""Sending receipts by email over SMTP (the server sends; desks never hold mail credentials).

One message per receipt: a plain-text body that reads like the printed receipt, and the
full-page PDF attached. Failures are typed so the route can tell the desk what happened in
words: email not set up here, the mail server unreachable, or the address refused.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from printing.receipt import receipt_lines
from sync.core.receipt_data import ReceiptData
from printing.receipt_page import render_page_receipt
from server.settings import Settings

log = logging.getLogger("frontdesk.server.mail")


class MailError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


NOT_SET_UP = "Email is not set up on the server, so the receipt was not sent. Print it instead."
UNREACHABLE = "The mail server could not be reached, so the receipt was not sent. Try again later or print it."
REFUSED = "The mail server refused the address {to}. Check the family's email address."


def receipt_message(data: ReceiptData, to: str, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"Your receipt {data.receipt_number} from {data.business_name}"
    msg["From"] = formataddr((data.business_name, sender))
    msg["To"] = to
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    body = "\n".join(line for line, _bold in receipt_lines(data, width=60))
    msg.set_content(f"Thank you for your payment.\n\n{body}\n")
    msg.add_attachment(render_page_receipt(data), maintype="application", subtype="pdf",
                       filename=f"receipt-{data.receipt_number}.pdf")
    return msg


def send(settings: Settings, msg: EmailMessage) -> None:
    """Deliver one message; raises MailError. Blocking: call it from a worker thread."""
    if not settings.smtp_host:
        raise MailError("email_off", NOT_SET_UP)
    to = str(msg["To"])
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            elif settings.smtp_username and settings.smtp_host not in ("127.0.0.1", "localhost", "::1"):
                # Never send a password in the clear across a network.
                raise MailError("email_insecure", UNREACHABLE)
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused:
        raise MailError("email_refused", REFUSED.format(to=to)) from None
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("sending receipt mail to the SMTP server %s:%s failed: %r", settings.smtp_host, settings.smtp_port, exc)
        raise MailError("email_unreachable", UNREACHABLE) from None
