"""Note parsers that fail in their own ways, not with NoteProblem."""

from coffeechat import hookimpl
from coffeechat.events import NoteAdded


def crashes(note, book):
    book.record(book.contact(), NoteAdded(text="half"))  # none of this note may be kept
    raise RuntimeError("the parser broke")


def exits(note, book):
    raise SystemExit(3)


def returns_garbage(note, book):
    return {"not": "expected"}  # a parser's return value is ignored


@hookimpl
def register_note_parsers(register):
    register("crashing", crashes)
    register("exiting", exits)
    register("odd", returns_garbage)
