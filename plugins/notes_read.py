"""Reading note files: regular files only, size-capped, YAML front matter without aliases.

A note's front matter is decoded by msgspec into
:class:`~coffeechat.notebook.FrontMatter` (unknown keys, wrong types and lists
over :data:`~coffeechat.limits.LIST_ITEMS` are errors naming the key). A file
is opened without blocking and read only if it is a regular file, and never
past :data:`~coffeechat.limits.NOTE_BYTES`: a FIFO, a device or a huge file in
the notes folder costs one error line, never a hang. YAML anchors and aliases
are refused, since a small note could otherwise expand into an enormous event.
Errors name the file, the line and the key. A note's name must be one the log
can hold (:func:`name_problem`); errors show it as :func:`shown_name`.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime

import msgspec

from coffeechat.errors import visible
from coffeechat.files import NotRegular, read_regular
from coffeechat.limits import NOTE_BYTES

# The note types live in core (``coffeechat.Note`` ...); importing them from here
# still works for one more release.
from coffeechat.notebook import (  # noqa: F401 - the names plugins knew them by
    FrontMatter,
    Note,
    NoteCommitment,
    NoteError,
    NoteReferral,
)
from coffeechat.notebook import line_of as _line_of

# A note's events are keyed "notes:<path>@<content hash>:<n>", and the store takes
# keys of at most 1000 characters: this leaves room for the rest.
NAME_CHARS = 900
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # (what the store refuses in a stream or key)
_CLOSING = re.compile(r"^---[ \t]*$", re.MULTILINE)
_NAMES_CONTACT = re.compile(rb"^contact[ \t]*:", re.MULTILINE)


def read_note(full: str, path: str) -> Note | NoteError | None:
    """Read one file: a :class:`Note`, a :class:`NoteError`, or None when it is not a note.

    ``full`` is where to open it (its real path, links resolved by the caller);
    ``path`` is the note's name in the folder, for errors.
    """
    try:
        # (the caller resolved the links it allows: a link here is one it did not)
        raw, info = read_regular(full, NOTE_BYTES + 1, follow_links=False)
    except NotRegular:
        return NoteError(path, 1, None, "not a regular file")
    except FileNotFoundError:
        return None  # gone in the meantime
    except OSError as error:
        return NoteError(path, 1, None, f"cannot read ({error.strerror})")
    if len(raw) > NOTE_BYTES:
        if not (raw.removeprefix(b"\xef\xbb\xbf").startswith(b"---")
                and _NAMES_CONTACT.search(raw)):
            return None  # a big file of the user's own, not a note
        return NoteError(path, 1, None, f"{info.st_size:,} bytes is over the limit of "
                                        f"{NOTE_BYTES:,} bytes for a note")
    return parse_note(raw, path, _modified(info))


def name_problem(path: str) -> str | None:
    """Why a note of this name (its path in the folder) cannot be recorded, or None.

    The path becomes part of the note's stream and keys: it must be UTF-8 text,
    one line, and short enough for a key.
    """
    try:
        path.encode()
    except UnicodeEncodeError:  # (os.walk's undecodable bytes, as surrogates)
        return "its name is not UTF-8 text: rename the file to record it"
    if _CONTROL.search(path):
        return ("its name holds a control character (a line break, say): rename the file "
                "to record it")
    if len(path) > NAME_CHARS:
        return (f"its path in the notes folder is {len(path):,} characters, over the limit "
                f"of {NAME_CHARS}: move or rename the file to record it")
    return None


# What sync tools call the second version of a file two devices changed at once:
# Dropbox, Nextcloud and Obsidian Sync "jane (conflicted copy 2026-11-20).md",
# Syncthing "jane.sync-conflict-20261120-101010-ABCDEFG.md".
_CONFLICT_COPY = re.compile(r"\s*\([^()/]*conflicted copy[^()/]*\)|\.sync-conflict-[^./]*",
                            re.IGNORECASE)


def conflict_problem(path: str) -> str | None:
    """Why a note that looks like a sync tool's conflict copy is not recorded, or None.

    Recorded, a copy of a meeting note would be a second meeting, and two contact
    notes for one person would take turns at the facts: the user merges the two.
    """
    folder, name = os.path.split(path)  # (only the file's name: a folder may be called so)
    original = os.path.join(folder, _CONFLICT_COPY.sub("", name))
    if original == path:
        return None
    return (f"looks like a sync tool's conflict copy of {shown_name(original)}: not recorded "
            "(merge what it says into that note, then delete it)")


def shown_name(path: str) -> str:
    """A note's path as one line of text: undecodable bytes and control characters escaped."""
    return visible(os.fsencode(path).decode("utf-8", "backslashreplace"))


def _modified(info: os.stat_result) -> datetime | None:
    try:
        return datetime.fromtimestamp(info.st_mtime, UTC).replace(microsecond=0)
    except (OverflowError, OSError, ValueError):
        return None


def parse_note(raw: bytes, path: str, modified: datetime | None) -> Note | NoteError | None:
    """A note from a file's bytes (see :func:`read_note`)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None if b"contact" not in raw else NoteError(path, 1, None, "not UTF-8 text")
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return None
    closing = _CLOSING.search(text, 4)
    if closing is None:
        if re.search(r"^contact\s*:", text, re.MULTILINE):
            return NoteError(path, 1, None, "the front matter has no closing ---")
        return None
    front_text = text[4:closing.start()]
    body = text[closing.end():].strip("\n")
    lines = front_text.split("\n")
    alias, keys = _alias_line(front_text)
    if alias is not None:
        if "contact" not in keys and "<<" not in keys:  # (a merge key might bring one)
            return None  # the user's own front matter: theirs to write as they like
        return NoteError(path, alias, None,
                         "YAML anchors and aliases (&name, *name) are not allowed")
    try:
        fields = msgspec.yaml.decode(front_text.encode() or b"{}")
    except msgspec.DecodeError as error:
        return NoteError(path, _yaml_line(str(error)), None, _yaml_message(str(error)))
    if not isinstance(fields, dict) or "contact" not in fields:
        return None  # not a note for coffeechat (a user's own front matter)
    try:
        front = msgspec.convert(fields, FrontMatter)
    except msgspec.ValidationError as error:
        key, message = _validation(str(error))
        return NoteError(path, _line_of(lines, key), key, message)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return Note(path, front, body, digest, modified, lines)


def _alias_line(front_text: str) -> tuple[int | None, set[str]]:
    """The file line of the first YAML anchor or alias in the front matter, if any, and
    the keys of its top-level mapping as written (quoted or not).

    Only front matter with a ``&`` or ``*`` in it is scanned (as YAML events:
    nothing is expanded), so the common note costs nothing more.
    """
    if "&" not in front_text and "*" not in front_text:
        return None, set()
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: int | None = None
    keys: set[str] = set()
    depth, key_next = 0, True  # (how deep in collections; whether a top-level key comes)
    mapping = False  # whether the top level is a mapping (a list has no keys)
    try:
        for event in yaml.parse(front_text, Loader=loader):
            if found is None and (isinstance(event, yaml.AliasEvent)
                                  or getattr(event, "anchor", None)):
                mark = event.start_mark  # (the parser always sets it; the stubs allow None)
                found = (mark.line if mark is not None else 0) + 2
            if isinstance(event, yaml.CollectionStartEvent):
                if depth == 0:
                    mapping = isinstance(event, yaml.MappingStartEvent)
                depth += 1
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif not isinstance(event, yaml.NodeEvent):
                continue  # (stream and document marks)
            elif depth == 1 and key_next and mapping:
                # (a key that is an alias may be "contact": it counts as a merge key does)
                keys.add(event.value if isinstance(event, yaml.ScalarEvent) else "<<")
            if depth == 1:  # a whole node of the top-level mapping has gone by
                key_next = not key_next
    except yaml.YAMLError:
        return None, set()  # broken YAML: decoding reports it, with its line
    return found, keys


def _yaml_line(message: str) -> int:
    found = re.findall(r"line (\d+)", message)
    return int(found[0]) + 1 if found else 1  # the first mark: where the broken part starts


def _yaml_message(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "cannot read"
    return f"invalid YAML ({first})"


def _validation(message: str) -> tuple[str | None, str]:
    text, _, location = message.partition(" - at `$.")
    unknown = re.search(r"unknown field `([^`]+)`", text)
    path = location.rstrip("`") if location else None
    if unknown:
        return (unknown.group(1) if path is None else f"{path}.{unknown.group(1)}",
                "unknown key")
    return path, text
