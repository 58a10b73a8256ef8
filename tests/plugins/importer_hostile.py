"""An importer that fails the way $HOSTILE_IMPORTER says, and registrations that are wrong."""

from __future__ import annotations

import os
import sys
import time

from coffeechat import NewEvent, hookimpl
from coffeechat.clock import now, stamp
from coffeechat.events import NoteAdded
from coffeechat.importing import Option, Plan, Report


def how() -> str:
    return os.environ.get("HOSTILE_IMPORTER", "")


def misbehave(step: str) -> None:
    if how() == f"raise-{step}":
        raise ValueError(f"boom in {step}")
    if how() == f"hang-{step}":
        time.sleep(60)
    if how() == f"exit-{step}":
        sys.exit(3)


class Hostile:
    name = "hostile"
    help = "An importer that fails on purpose."
    reads = "file"
    options = ()

    def read(self, path, context):
        misbehave("read")
        return path

    def plan(self, store, data, context):
        misbehave("plan")
        if how() == "garbage-plan":
            return ["not", "a", "plan"]
        contact = store.conn.execute("SELECT id FROM contacts ORDER BY id").fetchone()[0]
        stream = "contact:Not An Id!" if how() == "bad-event-plan" else f"contact:{contact}"
        return Plan([NewEvent(stream=stream, occurred_at=stamp(now()),
                              payload=NoteAdded(text=f"imported {data}"))], contact)

    def report(self, result):
        misbehave("report")
        if how() == "garbage-report":
            return {"not": "a report"}
        return Report({"noted": result.outcome}, [f"noted {result.outcome}"])


class NoName(Hostile):
    name = "two words"


class Pipe(Hostile):
    name = "pipe"
    reads = "pipe"


class TakesJson(Hostile):
    name = "takes-json"
    options = (Option("json", "Mine."),)


@hookimpl
def register_importers(register):
    register(Hostile())
    if how() == "register":
        register(object())
        register(NoName())
        register(Pipe())
        register(TakesJson())
        register("jsonl", lambda path: None)
        register("people", "not a function")
