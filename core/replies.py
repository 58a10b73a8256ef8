"""Replies from a mailbox: the ``mbox`` and ``maildir`` importers (``coffeechat.importing``).

A message from a contact's address, dated at or after the ask that is still
open, answers that ask: it is recorded as ``reply.received`` (a touch for the
check-in clock), so the nudge goes away. Auto-replies (out-of-office and the
like) are not replies. Each reply is keyed by its Message-ID and decided
inside the write transaction, so importing the same mailbox again, or a
bigger one later, records nothing twice.

:func:`read_mbox` and :func:`read_maildir` read the headers before the store
is locked; :func:`plan_replies` decides against the log. Another source of
mail (a plugin reading IMAP, say) can make :class:`MailboxRead` and plan it
the same way.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any, NamedTuple

from coffeechat.clock import in_window, stamp
from coffeechat.errors import BadInput
from coffeechat.events import ReplyReceived
from coffeechat.files import NotRegular, read_input, read_regular
from coffeechat.fold import CONTACT_PREFIX, ContactState
from coffeechat.importing import (
    ImportContext,
    Imported,
    Plan,
    Progress,
    Reads,
    Report,
    no_progress,
)
from coffeechat.resolve import contacts_by_email
from coffeechat.store import NewEvent, Store

# What is read of one message of a Maildir folder: its headers must end within it.
MAIL_HEADER_BYTES = 1024 * 1024

# Subjects mail programs give automatic answers (Outlook, Gmail, Exchange, ...).
_AUTO_SUBJECTS = ("automatic reply", "auto-reply", "autoreply", "auto reply",
                  "out of office", "out of the office", "abwesenheitsnotiz",
                  "réponse automatique", "respuesta automática")


class Mail(NamedTuple):
    message_id: str
    sender: str  # the From address, lower case
    at: datetime
    subject: str | None


class MailboxRead(NamedTuple):
    mails: list[Mail]
    messages: int  # every message in the mailbox
    automatic: int  # auto-replies left out
    unreadable: int  # messages without a From address or a readable Date
    refused: tuple[str, ...] = ()  # files not read, each "NAME: why" (a FIFO, a link out...)


class ReplyImport(NamedTuple):
    """What the messages of a mailbox answer."""

    replied: list[str]  # contacts whose open ask a message answered
    messages: int
    automatic: int
    unreadable: int
    why: list[str]  # what the messages record, and why the others record nothing
    refused: tuple[str, ...] = ()  # the mailbox's files that were not read, and why


def read_mbox(path: str, progress: Progress = no_progress) -> MailboxRead:
    """The messages of an mbox file (headers only)."""
    import mailbox

    start = read_input(path, 5)
    if start and start != b"From ":
        raise BadInput(f"{path}: not an mbox file (it should begin with a 'From ' line)")
    box = mailbox.mbox(path, create=False)
    try:
        return _read(box, progress)
    finally:
        box.close()


def read_maildir(path: str, progress: Progress = no_progress) -> MailboxRead:
    """The messages of a Maildir folder (its cur/ and new/).

    Only regular files inside the folder are read, opened without blocking,
    and only their first :data:`MAIL_HEADER_BYTES` (the headers): a FIFO, a
    device, a link leading out of the folder, or headers that do not end
    within the cap are left out, each named in ``refused``, and the rest is
    read.
    """
    missing = [sub for sub in ("cur", "new") if not os.path.isdir(os.path.join(path, sub))]
    if missing:
        raise BadInput(f"DIR: {path} is not a Maildir folder (it has no {missing[0]}/)")
    root = os.path.realpath(path)
    names = _maildir_names(path)
    tally = _Tally()
    refused: list[str] = []
    with progress(len(names), "reading mail") as advance:
        for done, name in enumerate(names, 1):
            advance(done)
            head, why = _maildir_head(root, os.path.join(path, name))
            if head is None:
                if why:
                    refused.append(f"{os.path.join(path, name)}: {why}")
                continue
            tally.add(head)
    return tally.read(tuple(refused))


def _maildir_names(path: str) -> list[str]:
    """The entries of new/ and cur/ (as ``new/NAME``), hidden ones and folders left out."""
    names = []
    for sub in ("new", "cur"):
        try:
            entries = sorted(os.listdir(os.path.join(path, sub)))
        except OSError as error:
            raise BadInput(f"DIR: cannot read {os.path.join(path, sub)} "
                           f"({error.strerror})") from None
        for entry in entries:
            if entry.startswith(".") or os.path.isdir(os.path.join(path, sub, entry)):
                continue  # (a Maildir program's own files, a Maildir++ subfolder)
            names.append(f"{sub}/{entry}")
    return names


def _maildir_head(root: str, full: str) -> tuple[bytes | None, str]:
    """A message file's headers, or None and why not ("" when it went away meanwhile)."""
    real = os.path.realpath(full)
    if not real.startswith(root + os.sep):
        return None, "a link leading out of the Maildir folder; not read"
    try:
        raw, _info = read_regular(real, MAIL_HEADER_BYTES + 1, follow_links=False)
    except NotRegular:
        return None, "not a regular file; not read"
    except FileNotFoundError:
        return None, ""  # (moved from new/ to cur/ by a mail program while we read)
    except OSError as error:
        return None, f"cannot read it ({error.strerror})"
    end = min((at for at in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if at >= 0),
              default=-1)
    if end < 0 and len(raw) > MAIL_HEADER_BYTES:
        return None, (f"its headers go on past {MAIL_HEADER_BYTES // 1024 // 1024} MiB; "
                      "not read")
    return (raw if end < 0 else raw[:end + 2]), ""


def _read(box: Any, progress: Progress) -> MailboxRead:
    tally = _Tally()
    with progress(len(box), "reading mail") as advance:
        for done, key in enumerate(box.iterkeys(), 1):
            advance(done)
            tally.add(box.get_bytes(key))
    return tally.read()


class _Tally:
    """Messages sorted as they are read: the mails kept, auto-replies, unreadable ones."""

    def __init__(self) -> None:
        self.parser = BytesHeaderParser(policy=compat32)
        self.mails: list[Mail] = []
        self.messages = self.automatic = self.unreadable = 0

    def add(self, message: bytes) -> None:
        """One message (its headers, at least) as it was read."""
        self.messages += 1
        headers = self.parser.parsebytes(message)
        if is_automatic(headers):
            self.automatic += 1
            return
        mail = _mail(headers)
        if mail is None:
            self.unreadable += 1
        else:
            self.mails.append(mail)

    def read(self, refused: tuple[str, ...] = ()) -> MailboxRead:
        return MailboxRead(self.mails, self.messages, self.automatic, self.unreadable, refused)


def is_automatic(headers: Message) -> bool:
    """Whether a message was sent by a machine on the sender's behalf (RFC 3834 and habit)."""
    submitted = str(headers.get("Auto-Submitted", "no")).strip().lower()
    if submitted != "no":
        return True
    if any(name in headers for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        return True
    precedence = str(headers.get("Precedence", "")).strip().lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return True
    return automatic_subject(_text(headers.get("Subject")))


def automatic_subject(subject: str | None) -> bool:
    """Whether a subject is one that mail programs give automatic answers (stats skip those)."""
    return bool(subject) and str(subject).strip().lower().startswith(_AUTO_SUBJECTS)


def _mail(headers: Message) -> Mail | None:
    _name, sender = email.utils.parseaddr(str(headers.get("From", "")))  # (still encoded)
    try:
        at = email.utils.parsedate_to_datetime(str(headers.get("Date", "")))
        if at.tzinfo is None:  # "-0000": a time in UTC whose zone the sender did not say
            at = at.replace(tzinfo=UTC)
        at = at.astimezone(UTC)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if "@" not in sender or not in_window(at):  # (a date coffeechat cannot keep: unreadable)
        return None
    subject = _one_line(_text(headers.get("Subject")) or "")[:300]
    message_id = _one_line(str(headers.get("Message-ID", ""))) or _made_up_id(sender, at,
                                                                               subject)
    return Mail(message_id[:500], _one_line(sender.lower()), at, subject or None)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _one_line(text: str) -> str:
    """A header's text on one line, without control characters (they cannot be stored)."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _text(value: object) -> str | None:
    """A header's text, with RFC 2047 encoded words decoded."""
    if value is None:
        return None
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeDecodeError, ValueError):
        return str(value)


def _made_up_id(sender: str, at: datetime, subject: str | None) -> str:
    """A stable key for a message that has no Message-ID."""
    digest = hashlib.sha256(f"{sender}\n{stamp(at)}\n{subject}".encode()).hexdigest()[:32]
    return f"<{digest}@no-message-id>"


def plan_replies(store: Store, fold_contact: Callable[[str], ContactState], read: MailboxRead,
                 *, me: str | None) -> tuple[list[NewEvent], ReplyImport]:
    """The replies among ``read``: the events to append, and the report."""
    by_email = contacts_by_email(store.conn)
    by_email.pop((me or "").lower(), None)
    mine: dict[str, list[Mail]] = {}
    strangers = 0
    for mail in read.mails:
        if mail.sender in by_email:
            mine.setdefault(by_email[mail.sender], []).append(mail)
        else:
            strangers += 1
    events, replied, why = [], [], []
    for contact_id, mails in sorted(mine.items()):
        state = fold_contact(CONTACT_PREFIX + contact_id)
        if not state.request_open or state.request_at is None:
            why.append(f"{contact_id}: {len(mails)} messages, but no open ask to answer")
            continue
        after = [m for m in mails if stamp(m.at) >= state.request_at]
        if not after:
            why.append(f"{contact_id}: {len(mails)} messages, all from before the ask")
            continue
        first = min(after, key=lambda m: (m.at, m.message_id))
        events.append(NewEvent(
            stream=CONTACT_PREFIX + contact_id, occurred_at=stamp(first.at),
            key=f"mail:{first.message_id}",
            payload=ReplyReceived(message_id=first.message_id, subject=first.subject,
                                  request=state.request_id)))
        replied.append(contact_id)
        why.append(f"{contact_id}: a reply on {stamp(first.at)} ({first.message_id})")
    if strangers:
        why.append(f"{strangers:,} messages from addresses that are not a contact's")
    return events, ReplyImport(replied, read.messages, read.automatic, read.unreadable, why,
                               tuple(read.refused))


class MailboxImporter:
    """A mailbox's replies: ``coffeechat import mbox FILE``, ``import maildir DIR``."""

    options = ()

    def __init__(self, name: str, reads: Reads, read_box: Callable[[str, Progress], MailboxRead],
                 help: str) -> None:
        self.name = name
        self.reads: Reads = reads
        self.read_box = read_box
        self.help = help

    def read(self, path: str, context: ImportContext) -> MailboxRead:
        return self.read_box(path, context.progress)

    def plan(self, store: Store, data: MailboxRead, context: ImportContext
             ) -> Plan[ReplyImport]:
        return Plan(*plan_replies(store, context.fold_contact, data,
                                  me=context.config.me.email))

    def report(self, result: Imported[ReplyImport]) -> Report:
        outcome = result.outcome
        text = [f"{result.path}: {outcome.messages:,} messages, {len(outcome.replied)} "
                + ("would answer" if result.dry_run else "answered") + " an ask"
                + (f"; {outcome.automatic:,} auto-replies left out" if outcome.automatic
                   else "")
                + (f"; {outcome.unreadable:,} without a sender or a usable date"
                   if outcome.unreadable else "")
                + (f"; {len(outcome.refused):,} files not read" if outcome.refused else "")]
        if result.dry_run:
            text += [f"  {line}" for line in outcome.why]
        document: dict[str, object] = {"replied": outcome.replied, "messages": outcome.messages,
                                       "automatic": outcome.automatic,
                                       "unreadable": outcome.unreadable,
                                       "refused": list(outcome.refused)}
        return Report(document, text, list(outcome.refused))


MBOX = MailboxImporter(
    "mbox", "file", read_mbox,
    "Replies in an mbox file: a message from a contact after your ask answers it.\n\n"
    "Auto-replies (out of office and the like) do not count; importing the same mailbox "
    "again records nothing new.")
MAILDIR = MailboxImporter(
    "maildir", "folder", read_maildir,
    "Replies in a Maildir folder (its cur/ and new/), as for `import mbox`.")
