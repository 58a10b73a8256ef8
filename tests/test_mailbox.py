"""Replies from a mailbox: `import mbox` and `import maildir` on real mailboxes."""

from __future__ import annotations

import mailbox
import os
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from tests.conftest import CLI


def message(sender: str, date: str, subject: str, **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "Maya López <maya@example.com>"
    mail["Date"] = date
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="mail.example.com")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content("Hi Maya,\n\nHappy to chat. How about Thursday?\n\nPriya\n")
    return mail


def setup(cli: CLI) -> None:
    (cli.home / "config.toml").write_text('[me]\nemail = "maya@example.com"\n')
    cli.run("add", "Priya Raman", "--email", "priya@example.com")
    cli.run("add", "Omar Haddad", "--email", "omar@example.org")
    cli.run("add", "Lena Fischer", "--email", "lena@example.de")
    cli.run("ask", "priya")  # at 2026-11-02 09:00 UTC
    cli.run("ask", "omar")


def inbox() -> list[EmailMessage]:
    return [
        # Before the ask: not an answer to it.
        message("Priya Raman <priya@example.com>", "Wed, 28 Oct 2026 16:00:00 +0000",
                "Meetup slides"),
        # The reply, from the same address in other case, with an encoded name.
        message("=?utf-8?q?Ram=C3=A1n=2C_Priya?= <Priya@Example.com>",
                "Tue, 03 Nov 2026 10:15:00 +0100", "Re: Coffee chat?"),
        message("Priya Raman <priya@example.com>", "Wed, 04 Nov 2026 08:00:00 +0000",
                "Re: Coffee chat? (Thursday works)"),
        # Omar is away: two machines answer for him.
        message("Omar Haddad <omar@example.org>", "Mon, 02 Nov 2026 09:01:00 +0000",
                "Automatic reply: Coffee chat?", Auto_Submitted="auto-replied"),
        message("Omar Haddad <omar@example.org>", "Mon, 02 Nov 2026 09:02:00 +0000",
                "Out of Office until 16 November", X_Autoreply="yes"),
        # Lena was never asked; you wrote one yourself; a stranger wrote.
        message("lena@example.de", "Tue, 03 Nov 2026 12:00:00 +0000", "Hallo"),
        message("Maya López <maya@example.com>", "Tue, 03 Nov 2026 13:00:00 +0000", "Notes"),
        message("news@shop.example", "Tue, 03 Nov 2026 14:00:00 +0000", "Sale!"),
    ]


def write_mbox(path: Path, messages: list[EmailMessage]) -> None:
    box = mailbox.mbox(str(path))
    box.lock()
    for mail in messages:
        box.add(mail)
    box.flush()
    box.unlock()
    box.close()


def due_kinds(cli: CLI, contact: str, now: str) -> set[str]:
    items = cli.json("due", "--all", COFFEECHAT_NOW=now)
    return {i["kind"] for i in items if i["contact"] == contact}


def test_a_reply_in_an_mbox_answers_the_ask_and_auto_replies_do_not(run: CLI,
                                                                   tmp_path: Path) -> None:
    setup(run)
    assert "nudge" in due_kinds(run, "priya-raman", "2026-11-12T09:00:00Z")
    box = tmp_path / "Inbox.mbox"
    write_mbox(box, inbox())

    result = run.json("import", "mbox", str(box))
    assert result == {"replied": ["priya-raman"], "messages": 8, "automatic": 2,
                      "unreadable": 0, "refused": []}
    priya = run.json("show", "priya", COFFEECHAT_NOW="2026-11-12T09:00:00Z")
    reply = [e for e in priya["timeline"] if e["type"] == "reply.received"]
    assert [(e["occurred_at"], e["data"]["subject"]) for e in reply] == \
        [("2026-11-03T09:15:00Z", "Re: Coffee chat?")]
    assert reply[0]["data"]["request"] == \
        next(e["id"] for e in priya["timeline"] if e["type"] == "request.sent")
    assert priya["last_touch_at"] == "2026-11-03T09:15:00Z"  # a touch for the check-in clock
    assert "nudge" not in due_kinds(run, "priya-raman", "2026-11-12T09:00:00Z")
    assert "nudge" in due_kinds(run, "omar-haddad", "2026-11-12T09:00:00Z")  # still waiting
    assert run.json("show", "lena")["last_touch_at"] is None  # never asked: not a reply

    # The same mailbox again: nothing new.
    before = run.count()
    again = run.json("import", "mbox", str(box))
    assert again["replied"] == [] and run.count() == before

    # Omar writes back for real; the bigger mailbox records only that.
    write_mbox(box, [message("Omar Haddad <omar@example.org>",
                             "Mon, 16 Nov 2026 08:30:00 -0800", "Re: Coffee chat?")])
    later = run.json("import", "mbox", str(box))
    assert later["replied"] == ["omar-haddad"] and later["messages"] == 9
    assert run.count() == before + 1
    omar = run.json("show", "omar")
    assert omar["last_touch_at"] == "2026-11-16T16:30:00Z"

    # `undo` takes the import back: the ask is open again.
    run.run("undo")
    assert "nudge" in due_kinds(run, "omar-haddad", "2026-11-20T09:00:00Z")


def test_a_reply_in_a_maildir(run: CLI, tmp_path: Path) -> None:
    setup(run)
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(str(folder))
    for mail in inbox()[1:5]:
        box.add(mailbox.MaildirMessage(mail))  # delivered, not yet read: new/
    read = mailbox.MaildirMessage(message("omar@example.org", "Thu, 05 Nov 2026 18:00:00 +0000",
                                          "Re: Coffee chat?"))
    read.set_subdir("cur")
    read.add_flag("S")
    box.add(read)
    box.close()
    result = run.json("import", "maildir", str(folder))
    assert sorted(result["replied"]) == ["omar-haddad", "priya-raman"]
    assert result["messages"] == 5 and result["automatic"] == 2
    before = run.count()
    assert run.json("import", "maildir", str(folder))["replied"] == []
    assert run.count() == before
    text = run.run("import", "maildir", str(folder)).out
    assert "5 messages" in text and "2 auto-replies left out" in text


def test_messages_without_sender_or_date_are_counted_not_guessed(run: CLI,
                                                                 tmp_path: Path) -> None:
    setup(run)
    undated = message("priya@example.com", "someday", "Re: Coffee chat?")
    nobody = message("undisclosed-recipients:;", "Tue, 03 Nov 2026 10:00:00 +0000", "Hi")
    box = tmp_path / "odd.mbox"
    write_mbox(box, [undated, nobody])
    result = run.json("import", "mbox", str(box))
    assert result == {"replied": [], "messages": 2, "automatic": 0, "unreadable": 2,
                      "refused": []}


def test_bad_mailboxes_are_one_line_errors_and_record_nothing(run: CLI, tmp_path: Path) -> None:
    setup(run)
    before = run.count()
    text = tmp_path / "notes.txt"
    text.write_text("Dear diary\n")
    for args, words in [
        (("mbox", str(text)), [str(text), "not an mbox file"]),
        (("mbox", str(tmp_path / "nowhere.mbox")), ["nowhere.mbox", "cannot read"]),
        (("maildir", str(tmp_path)), [str(tmp_path), "not a Maildir folder"]),
    ]:
        result = run.run("import", *args, expect=1)
        assert all(w in result.err for w in words), result.err
        assert len(result.err.strip().splitlines()) == 1
    assert run.count() == before
    assert not (tmp_path / "nowhere.mbox").exists()  # reading never creates a mailbox


def test_a_maildir_reads_only_its_own_regular_files(cli: CLI, tmp_path: Path) -> None:
    """A FIFO, a link to /dev/zero and a link out of the folder are each one warning line
    naming the file; the other messages are imported (subprocess: a hang would show)."""
    setup(cli)
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(str(folder))
    reply = box.add(mailbox.MaildirMessage(inbox()[1]))
    box.close()
    secret = tmp_path / "passwd"
    secret.write_text("From: root@example.com\nDate: Tue, 03 Nov 2026 10:00:00 +0000\n\nx\n")
    os.mkfifo(folder / "new" / "1800000000.fifo.host")
    (folder / "new" / "1800000001.zero.host").symlink_to("/dev/zero")
    (folder / "cur" / "1800000002.out.host:2,S").symlink_to(secret)
    (folder / "cur" / "1800000003.in.host:2,S").symlink_to(folder / "new" / reply)
    result = cli.run("import", "maildir", str(folder), "--json")
    assert result.json()["replied"] == ["priya-raman"]
    assert result.json()["messages"] == 2  # the reply, and the link to it inside the folder
    warnings = result.err.strip().splitlines()
    assert len(warnings) == 3, result.err
    for name, why in [("new/1800000000.fifo.host", "not a regular file"),
                      ("new/1800000001.zero.host", "a link leading out of the Maildir"),
                      ("cur/1800000002.out.host:2,S", "a link leading out of the Maildir")]:
        assert any(f"{folder}/{name}: {why}" in line for line in warnings), (name, warnings)
    assert len(result.json()["refused"]) == 3
    text = cli.run("import", "maildir", str(folder)).out
    assert "3 files not read" in text


def test_a_maildir_message_whose_headers_never_end_is_refused(run: CLI, tmp_path: Path) -> None:
    setup(run)
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(str(folder))
    box.add(mailbox.MaildirMessage(inbox()[1]))
    box.close()
    (folder / "new" / "1800000000.big.host").write_bytes(b"X-Long: " + b"a" * (1 << 21))
    result = run.run("import", "maildir", str(folder), "--json")
    assert result.json()["replied"] == ["priya-raman"] and result.json()["messages"] == 1
    assert "1800000000.big.host: its headers go on past 1 MiB" in result.err
