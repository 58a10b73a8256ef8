"""The email channel: drafts as .eml files, and sending by SMTP.

``--draft`` writes a standards-correct message (RFC 5322: Date, Message-ID,
From, To, Subject; UTF-8 names and subjects encoded as RFC 2047 words, the
body quoted-printable) into the outbox folder and records nothing. A draft is
readable by you only (0600), and so is an outbox folder it creates (0700).
(For a contact without an email address, ``--draft`` writes the message as
text instead: see :mod:`coffeechat.delivery`.)
``--send`` hands the same message to your SMTP server (STARTTLS, implicit TLS,
or plain on a trusted network), and the event is recorded only once the server
has accepted it. The password comes from an environment variable or the system
keyring, never from a file, and never appears in output.
"""

from __future__ import annotations

import os
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from coffeechat.channels import DeliveryError, Message
from coffeechat.clock import now
from coffeechat.config import Config, EmailSettings
from coffeechat.delivery import draft_stem, outbox, write_draft
from coffeechat.errors import without_secrets
from coffeechat.hookspecs import hookimpl
from coffeechat.limits import TimeLimitExceeded, time_limit

_LINE_BREAK = re.compile(r"[\r\n]")
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
QUIT_SECONDS = 5.0  # how long a server that has the message may take to answer QUIT


class EmailChannel:
    name = "email"
    address = "email"  # the contact field Message.to holds
    can_send = True
    can_draft = True

    def __init__(self, config: Config) -> None:
        self.settings: EmailSettings = config.email
        sender = self.settings.sender or (
            f"{config.me.name} <{config.me.email}>" if config.me.email else None)
        self.sender = parseaddr(sender) if sender else None

    # -- the message ----------------------------------------------------------------

    def compose(self, message: Message, flag: str) -> EmailMessage:
        """The RFC 5322 message; refuses anything that could smuggle in a header."""
        if self.sender is None or not self.sender[1]:
            raise DeliveryError(f"{flag}: set your address: [me] email, or [email] from, "
                                "in config.toml")
        if not message.to:
            raise DeliveryError(f"{flag}: {message.name} has no email address (add one: "
                                f"coffeechat edit {message.contact} --email ADDRESS)")
        for what, value in (("subject", message.subject), ("name", message.name),
                            ("your name", self.sender[0])):
            if _LINE_BREAK.search(value):
                raise DeliveryError(f"{flag}: the {what} holds a line break; not sent")
        mail = EmailMessage()
        try:
            mail["From"] = _address(*self.sender)
            mail["To"] = _address(message.name, message.to)
        except ValueError as error:
            raise DeliveryError(f"{flag}: {error}") from None
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(now())
        mail["Message-ID"] = make_msgid(domain=self.sender[1].rpartition("@")[2] or None)
        mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
        return mail

    # -- drafts -------------------------------------------------------------------

    def draft(self, message: Message) -> str:
        mail = self.compose(message, "--draft")
        data = mail.as_bytes(policy=SMTP)  # CRLF line ends, as RFC 5322 has them
        path = write_draft(outbox(self.settings.outbox), draft_stem(message), ".eml", data)
        return f"draft written to {path}"

    # -- sending ------------------------------------------------------------------

    def send(self, message: Message) -> str:
        import smtplib
        import ssl

        mail = self.compose(message, "--send")
        s = self.settings
        if not s.host:
            raise DeliveryError("--send: no mail server is set: give its name as [email] host "
                                "in config.toml (see docs/email.md); nothing was sent")
        port = s.port or _DEFAULT_PORTS[s.security]
        where = f"{s.host}:{port}"
        context = ssl.create_default_context(cafile=s.ca_file) if s.security != "none" \
            else None
        smtp: smtplib.SMTP | None = None
        refused: dict[str, Any] = {}
        taken = False  # once the server has answered the message with 250
        secret: str | None = None  # (hidden in whatever the server is quoted as saying)
        if s.username:
            secret = self._password()
        limit = f"the mail server at {where}"
        try:
            # [email] timeout bounds each read and the whole exchange: a server that
            # answers a byte at a time is given up on too
            with time_limit(s.timeout, limit):
                if s.security == "tls":
                    smtp = smtplib.SMTP_SSL(s.host, port, timeout=s.timeout, context=context)
                else:
                    smtp = smtplib.SMTP(s.host, port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=context)
                if s.username and secret is not None:
                    smtp.login(s.username, secret)
                refused = smtp.send_message(mail)
                taken = True
        except TimeLimitExceeded as stopped:
            if stopped.what != limit:  # (an outer limit's)
                raise
            if not taken:  # (past the server's 250 the message is sent: it is recorded)
                raise DeliveryError(f"--send: the mail server at {where} timed out: it did "
                                    f"not take the message within {s.timeout:g} s ([email] "
                                    "timeout); nothing was recorded") from None
        except smtplib.SMTPNotSupportedError as error:  # (a server without STARTTLS, say)
            said = without_secrets(str(error).rstrip("."), [secret], s.username)
            raise DeliveryError(f"--send: the mail server at {where} said: {said}; set [email] "
                                "security (and username) to what it offers: \"tls\", or "
                                "\"none\" for a server on this computer; nothing was recorded"
                                ) from None
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError(f"--send: {where} did not accept the login for "
                                f"{s.username}; nothing was recorded") from None
        except (smtplib.SMTPException, OSError) as error:
            reason = " ".join(str(error).splitlines()) or type(error).__name__
            reason = without_secrets(reason, [secret], s.username)
            raise DeliveryError(f"--send: the mail server at {where} did not take the message "
                                f"({reason}); nothing was recorded") from None
        finally:
            if smtp is not None and not taken:
                smtp.close()
        # The server has taken the message: it is sent, and will be recorded, whatever
        # saying goodbye brings (a retry after a failed QUIT would send it twice).
        farewell = _quit(smtp, min(s.timeout, QUIT_SECONDS))
        if farewell:
            farewell = without_secrets(farewell, [secret], s.username)
        if refused:
            raise DeliveryError(f"--send: {where} refused {', '.join(refused)}")
        receipt = f"sent: {where} accepted {mail['Message-ID']}"
        if farewell:
            receipt += f" (then saying goodbye failed: {farewell}; the message went out)"
        return receipt

    def _password(self) -> str:
        s = self.settings
        if s.keyring:
            try:
                import keyring
            except ImportError:
                raise DeliveryError("--send: [email] keyring = true needs the keyring package "
                                    "(pip install keyring)") from None
            secret = keyring.get_password("coffeechat", s.username or "")
            if secret is None:
                raise DeliveryError(f"--send: no password for {s.username} in the keyring "
                                    "(service 'coffeechat')")
            return str(secret)
        secret = os.environ.get(s.password_env)
        if not secret:
            raise DeliveryError(f"--send: set {s.password_env} to the SMTP password "
                                "(it is never read from a file)")
        return secret


def _quit(smtp: Any, seconds: float) -> str | None:
    """Say goodbye to a server that has taken the message; what went wrong, if anything.

    Nothing here can unsend the message, so nothing here is an error: a refused
    QUIT, a dropped or silent connection (waited on for ``seconds`` at most) is
    only said. The connection is closed either way.
    """
    import smtplib

    try:
        if smtp.sock is not None:
            smtp.sock.settimeout(seconds)
        with time_limit(seconds, "saying goodbye"):
            code, said = smtp.docmd("QUIT")
        if code != 221:
            return f"{code} {said.decode(errors='replace')}".strip()
        return None
    except TimeLimitExceeded as stopped:
        if stopped.what != "saying goodbye":
            raise
        return f"no answer within {seconds:g} s"
    except (smtplib.SMTPException, OSError) as error:
        return " ".join(str(error).splitlines()) or type(error).__name__
    finally:
        smtp.close()


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(f"{address!r} is not an email address")
    return Address(display_name=name, username=local, domain=domain)


@hookimpl
def register_channels(register: Any, config: Any) -> None:
    register(EmailChannel(config))
