"""Errors a user can act on. Each carries a one-line message naming what and where."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

# Control characters left in a message (an escape sequence from a plugin's error, say)
# are shown as \xNN: a message cannot recolour, move or clear the user's terminal; and
# the controls that reorder text (bidi embeddings, overrides, isolates) as \uNNNN, so a
# name cannot disguise the rest of its line.
_SHOWN_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))
                   if c != 0x09}  # (a tab does no harm)
# The line and paragraph separators too: Unicode's line breaks, so a row cannot be split.
_SHOWN_CONTROLS |= {c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                               0x2028, 0x2029)}


def visible(text: str) -> str:
    """``text`` as it may reach a terminal: control and reordering characters shown as
    escapes (a name from an old log or an import can hold them)."""
    return text if text.isprintable() else text.translate(_SHOWN_CONTROLS)


class CoffeechatError(Exception):
    """Base of every error coffeechat reports to the user (exit code 1)."""

    def __init__(self, message: str) -> None:
        # One line, always: a message may quote user text with newlines in it.
        super().__init__(" ".join(message.splitlines()).translate(_SHOWN_CONTROLS))

    @property
    def message(self) -> str:
        return str(self.args[0])


def describe_error(error: BaseException) -> str:
    """An unexpected error (a library's, a plugin's) as one line: its type and message."""
    return " ".join(f"{type(error).__name__}: {error}".splitlines())


def without_secrets(text: str, secrets: Iterable[str | None], user: str | None = None) -> str:
    """``text`` (a server's answer, say) with every given secret shown as ``***``.

    Each secret is hidden as written and in the forms a login sends it in, which a
    server may quote back: base64 of the secret alone (AUTH LOGIN), of NUL user NUL
    secret (AUTH PLAIN) and of user:secret (HTTP Basic). Hide before cutting a text
    short: a secret cut in two is no longer found.
    """
    from base64 import b64encode

    name = user or ""
    for secret in filter(None, secrets):
        sent = (secret, f"\0{name}\0{secret}", f"{name}:{secret}")
        for form in sorted({b64encode(s.encode()).decode() for s in sent}, key=len,
                           reverse=True):
            text = text.replace(form, "***")
        text = text.replace(secret, "***")
    return text


class BadInput(CoffeechatError):
    """An argument or field that cannot be recorded as given."""


class BadDate(BadInput):
    """A date or time that cannot be read."""


class UnknownContact(BadInput):
    """No contact matches the given id or name."""


class AmbiguousContact(BadInput):
    """More than one contact matches the given name part."""


class UnknownEvent(BadInput):
    """No event (or commitment) has the given id."""


class ConfigError(CoffeechatError):
    """The config file cannot be read or holds an unknown or wrong key."""


class StoreError(CoffeechatError):
    """The store cannot be opened or written."""


class ConflictError(StoreError):
    """An append stated an expected stream version that is no longer current."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(
            f"{stream} changed while recording: expected version {expected}, "
            f"found {actual}; nothing was recorded, try again"
        )
        self.stream = stream
        self.expected = expected
        self.actual = actual


def quote(text: str, limit: int = 60) -> str:
    """Quote user text for an error message: one line, bounded length."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(shown)
