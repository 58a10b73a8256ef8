"""`today`: the day on one screen, and `today --send` to a real SMTP server and a real webhook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import CLI
from tests.test_email import Inbox, free_port, inbox  # noqa: F401 - (the fixture)
from tests.test_examples import Receiver
from tests.test_plugins import receiver, webhook_site  # noqa: F401 - (the fixtures)


def day_of(run: CLI) -> CLI:
    """Monday 2026-11-16: one of every section."""
    (run.home / "config.toml").write_text("[keep_in_touch]\nmentor = { ideal = 30, max = 60 }\n")
    run.now = "2026-09-01T10:00:00Z"
    run.ids("add", "Old Friend", "--tag", "mentor", "--email", "old@example.com")
    run.ids("met", "old", "--takeaway", "try the staff engineer path")
    run.ids("thank", "old")
    run.now = "2026-11-13T10:00:00Z"
    run.ids("add", "Jane Doe", "--company", "Acme", "--role", "SRE",
            "--email", "jane@example.com", "--birthday", "11-20")
    run.ids("met", "jane", "--commitment", "send my portfolio", "--due", "2026-11-16T17:00")
    run.ids("add", "Grace Hopper", "--company", "Navy", "--role", "Admiral",
            "--how-met", "COBOL meetup", "--referred-by", "jane")
    run.ids("schedule", "grace", "--at", "2026-11-17T15:00", "--where", "Zoom")
    run.now = "2026-11-16T08:00:00Z"
    return run


def test_today_holds_each_section(run: CLI) -> None:
    day_of(run)
    found = run.json("today")
    assert set(found) == {"overdue", "due_today", "meetings", "birthdays", "reconnect"}
    due = {i["handle"]: i for i in run.json("due", "--all")}
    for key in ("overdue", "due_today"):  # exactly the items of `due --json`
        for item in found[key]:
            assert due[item["handle"]] == item
    assert [(i["kind"], i["contact"]) for i in found["overdue"]] == [
        ("check-in", "old-friend"), ("thank-you", "jane-doe")]
    assert [(i["kind"], i["contact"]) for i in found["due_today"]] == [
        ("prep", "grace-hopper"), ("commitment", "jane-doe")]
    [meeting] = found["meetings"]
    assert (meeting["contact"], meeting["at"], meeting["minutes"], meeting["where"]) == (
        "grace-hopper", "2026-11-17T15:00:00Z", 30, "Zoom")
    # the first lines of the prep sheet ("Who they are"), naming the referrer
    assert meeting["prep"] == ["Admiral at Navy", "How we met: COBOL meetup",
                               "Introduced by Jane Doe"]
    assert [(b["contact"], b["label"], b["date"]) for b in found["birthdays"]] == [
        ("jane-doe", "birthday", "2026-11-20")]
    [old] = found["reconnect"]
    assert (old["id"], old["warmth"], old["last_talked_about"]) == (
        "old-friend", "cold", "try the staff engineer path")

    text = run.run("today").out
    assert text.startswith("Your day: 2026-11-16\n")
    for line in ("Overdue (2)", "Due today (2)", "Meetings today and tomorrow (1)",
                 "2026-11-17 15:00  Grace Hopper (30 min, Zoom)", "    Admiral at Navy",
                 "Birthdays and dates in the next 7 days (1)", "2026-11-20  Jane Doe: birthday",
                 "Reconnect (1)"):
        assert line in text, line
    # Handles work on it: done with a handle from today closes that item.
    handle = found["due_today"][1]["handle"]
    assert f"[{handle}] 2026-11-16 17:00  commitment  Jane Doe" in text
    run.ids("done", handle)
    assert [i["kind"] for i in run.json("today")["due_today"]] == ["prep"]
    # Tomorrow's meeting is today's the next day, and gone once held.
    run.now = "2026-11-17T16:00:00Z"
    run.ids("met", "grace")
    assert run.json("today")["meetings"] == []
    assert run.json("today", "--as-of", "2026-11-16")["meetings"][0]["contact"] == "grace-hopper"


def test_a_quiet_day(run: CLI) -> None:
    assert run.json("today") == {"overdue": [], "due_today": [], "meetings": [],
                                 "birthdays": [], "reconnect": []}
    assert "Nothing overdue, nothing due today" in run.run("today").out


def mail_config(run: CLI, port: int, me: bool = True) -> None:
    lines = ["[me]", 'name = "Maya Lopez"'] + (['email = "maya@example.com"'] if me else [])
    lines += ["[email]", 'host = "127.0.0.1"', f"port = {port}", 'security = "none"',
              "[keep_in_touch]", "mentor = { ideal = 30, max = 60 }"]
    (run.home / "config.toml").write_text("\n".join(lines) + "\n")


def digests(run: CLI) -> list[dict[str, Any]]:
    return [e for e in run.json("log") if e["type"] == "digest.sent"]


def test_send_by_email_once_a_day(run: CLI, inbox: tuple[Inbox, int]) -> None:  # noqa: F811
    box, port = inbox
    day_of(run)
    mail_config(run, port)
    result = run.run("today", "--send")
    assert result.out.startswith(f"sent: 127.0.0.1:{port} accepted <")
    [(sender, rcpts, message)] = box.messages
    assert (sender, rcpts) == ("maya@example.com", ["maya@example.com"])
    assert message["Subject"] == "coffeechat: your day, 2026-11-16 (7 to look at)"
    body = message.get_content()
    assert body.startswith("Your day: 2026-11-16") and "Grace Hopper" in body
    [event] = digests(run)
    assert event["stream"] == "digest:2026-11-16"
    assert event["data"] == {"day": "2026-11-16", "channel": "email", "items": 7}
    assert "sent the digest for 2026-11-16 via email (7 things)" in run.run("log").out

    run.now = "2026-11-16T18:00:00Z"  # a timer runs it again the same day
    again = run.run("today", "--send")
    assert "already went out via email at 08:00" in again.out
    assert len(box.messages) == 1 and len(digests(run)) == 1
    assert run.json("today", "--send")["reason"] == "already sent"
    run.run("today", "--send", "--force")
    assert len(box.messages) == 2 and len(digests(run)) == 2

    run.now = "2026-11-17T07:00:00Z"  # the next day
    sent = run.json("today", "--send")
    assert sent["sent"] is True and sent["day"] == "2026-11-17"
    assert len(box.messages) == 3
    assert run.json("contacts")  # the digest: stream never upsets the contacts


def test_a_refusing_server_records_nothing(run: CLI, inbox: tuple[Inbox, int]) -> None:  # noqa: F811
    box, port = inbox
    day_of(run)
    mail_config(run, port)
    box.answer = "451 Try again later"
    before = run.count()
    result = run.run("today", "--send", expect=1)
    [line] = result.err.splitlines()
    assert "did not take the message" in line and "451" in line
    assert run.count() == before
    box.answer = "250 OK"  # the next run sends it: nothing says it went out
    run.run("today", "--send")
    assert len(box.messages) == 1


def test_nothing_to_send_or_nowhere_to_send_it(run: CLI, inbox: tuple[Inbox, int]  # noqa: F811
                                                ) -> None:
    box, port = inbox
    mail_config(run, port)
    result = run.run("today", "--send")
    assert result.out.startswith("Nothing to send for 2026-11-02")
    assert box.messages == [] and run.count() == 0
    day_of(run)
    mail_config(run, port, me=False)
    before = run.count()
    [line] = run.run("today", "--send", expect=1).err.splitlines()
    assert "set [me] email in config.toml" in line
    [line] = run.run("today", "--send", "--via", "linkedin", expect=1).err.splitlines()
    assert "'linkedin' channel cannot deliver" in line
    [line] = run.run("today", "--send", "--via", "pigeon", expect=1).err.splitlines()
    assert "unknown channel 'pigeon'" in line
    assert run.count() == before and box.messages == []
    for alone in (["--force"], ["--via", "email"], ["--via", "webhook"]):  # (without --send)
        assert "go with --send" in run.run("today", *alone, expect=2).err


def test_send_through_the_example_webhook(cli: CLI, webhook_site: Path,  # noqa: F811
                                          receiver: Receiver, monkeypatch: Any  # noqa: F811
                                          ) -> None:
    monkeypatch.setenv("PYTHONPATH", str(webhook_site))
    url = f"http://127.0.0.1:{receiver.port}/hooks/coffee"
    cli.now = "2026-09-01T10:00:00Z"
    cli.ids("add", "Old Friend")
    cli.ids("met", "old", "--takeaway", "try the staff engineer path")
    cli.now = "2026-12-20T10:00:00Z"
    (cli.home / "config.toml").write_text(f'[plugins.webhook]\nurl = "{url}"\n')
    web = {"COFFEECHAT_LOAD_PLUGINS": "webhook"}
    result = cli.run("today", "--send", "--via", "webhook", **web)
    assert "posted to the webhook (HTTP 200)" in result.out
    [post] = receiver.posts
    assert post["json"]["subject"].startswith("coffeechat: your day, 2026-12-20")
    assert "Old Friend" in post["json"]["body"] and "Reconnect (1)" in post["json"]["body"]
    cli.run("today", "--send", "--via", "webhook", **web)
    assert len(receiver.posts) == 1
    receiver.status = 500
    before = cli.count()
    failed = cli.run("today", "--send", "--via", "webhook", "--force", expect=1, **web)
    assert "the webhook refused the message (HTTP 500)" in failed.err
    assert cli.count() == before


def test_meetings_follow_what_is_scheduled_now(run: CLI) -> None:
    # today finds meetings from the contacts' scheduled times: a moved, cancelled
    # (undone schedule), archived or merged contact's meeting shows as the log says.
    day_of(run)

    def meetings() -> list[tuple[str, str]]:
        return [(m["contact"], m["at"]) for m in run.json("today")["meetings"]]

    assert meetings() == [("grace-hopper", "2026-11-17T15:00:00Z")]
    run.ids("schedule", "grace", "--at", "2026-11-19T15:00")  # moved past tomorrow
    assert meetings() == []
    moved = run.ids("schedule", "grace", "--at", "2026-11-16T18:00")[0]  # and to today
    assert meetings() == [("grace-hopper", "2026-11-16T18:00:00Z")]
    run.ids("undo", moved)  # back to the 19th
    assert meetings() == []
    run.ids("add", "Ada Byron", "--how-met", "PyCon")
    run.ids("met", "ada", "--takeaway", "read SICP", "--takeaway", "try Lisp")
    run.ids("schedule", "ada", "--at", "2026-11-17T09:00", "--where", "Cafe", "--minutes", "45")
    run.ids("add", "Ada Lovelace")
    run.ids("merge", "lovelace", "byron")  # the meeting was on the merged-away contact
    [ada] = run.json("today")["meetings"]
    assert (ada["contact"], ada["at"], ada["minutes"], ada["where"]) == (
        "ada-lovelace", "2026-11-17T09:00:00Z", 45, "Cafe")
    assert ada["prep"] == ["How we met: PyCon", "They suggested: read SICP"]
    run.ids("archive", "lovelace")
    assert meetings() == []
