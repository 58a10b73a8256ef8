"""The words of a message: plain defaults, and the small grammar real data needs.

The defaults keep ``--send`` useful on any channel when no template plugin
supplies the text (template plugins replace them through the
``compose_message`` hook). The grammar helpers (:func:`a_or_an`,
:func:`end_sentence`, :func:`first_name`, :func:`how_we_met`) make a sentence
read right whatever a contact's fields hold: "an Analytics Manager", "at Acme
Inc." (not "Inc.."), nothing at all for a field that is missing. Templates
get them as filters (see docs/templates.md).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from coffeechat.channels import Message
from coffeechat.fold import ContactState

# -- articles -------------------------------------------------------------------------------

# Letters whose spoken name starts with a vowel sound: "an SRE", "an MBA", "an HR partner".
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
# Capitalised words said as words, not letter by letter ("a NASA engineer").
_SAID_AS_WORDS = frozenset({"NASA", "NATO", "FIFA", "SCUBA", "LASER", "RADAR", "SIM",
                            "MOOC", "NIST", "UNICEF", "UNESCO"})
_SILENT_H = ("hour", "honest", "honor", "honour", "heir")
# A vowel letter with a consonant sound ("a user", "a European", "a one-person team") ...
_SOUNDS_LIKE_YOU = ("uni", "use", "usu", "usa", "uti", "ute", "utop", "ura", "ure", "uro",
                    "uku", "ubiq", "eu", "ewe")
# ... except these ("an uninformed guess", "an unidentified caller").
_SOUNDS_LIKE_UH = ("unin", "unim", "unid")
_LEADING = re.compile(r"[\W_]*")
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")


def article(phrase: Any) -> str:
    """"a" or "an" for ``phrase``, by the sound of its first word; "" when there is none."""
    text = _LEADING.sub("", _text(phrase), count=1)
    if not text:
        return ""
    if text[0].isdigit():  # "an 8-person team", "an 11-year veteran", "a 100-day plan"
        digits = _DIGITS.match(text)
        group = digits.group() if digits else ""
        eleven = group[:2] in ("11", "18") and len(group) % 3 == 2
        return "an" if group.startswith("8") or eleven else "a"
    found = _LETTERS.match(text)
    word = found.group() if found else text[:1]
    rest = text[len(word):]
    if word.isupper() and word not in _SAID_AS_WORDS and _is_acronym(word, rest):
        return "an" if _plain(word[0]).upper() in _VOWEL_SOUND_LETTERS else "a"
    lower = _plain(word).lower()
    if lower.startswith(_SILENT_H):
        return "an"
    if lower == "one" or lower.startswith("once"):
        return "a"
    if lower[:1] in ("a", "e", "i", "o", "u"):
        if lower.startswith(_SOUNDS_LIKE_YOU) and not lower.startswith(_SOUNDS_LIKE_UH):
            return "a"
        return "an"
    return "a"


def _is_acronym(word: str, rest: str) -> bool:
    """Whether an all-capitals word is said letter by letter: "SRE", "VP", but not the
    "SENIOR" of a title typed in capitals."""
    if len(word) == 1 or not any(c in "AEIOUY" for c in _plain(word)):
        return True
    return len(word) <= 5 and (any(c.islower() for c in rest) or not rest.strip())


def a_or_an(phrase: Any) -> str:
    """``phrase`` after its article: "an Analytics Manager", "a UX Designer"; "" for none."""
    text = _text(phrase).strip()
    return f"{article(text)} {text}" if text else ""


def _plain(text: str) -> str:
    """Without accents: "É" is read as "E"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# -- sentences ------------------------------------------------------------------------------

_CLOSERS = "\"')]}»”’"
_TERMINAL = ".!?…"


def end_sentence(text: Any, mark: str = ".") -> str:
    """``text`` ended with ``mark``, unless it already ends a sentence: "Acme Inc." stays
    "Acme Inc.", not "Acme Inc.."; "" for nothing."""
    value = " ".join(_text(text).split())
    if not value:
        return ""
    return value if value.rstrip(_CLOSERS)[-1:] in _TERMINAL else value + mark


_HONORIFICS = frozenset({"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "professor", "sir",
                         "dame", "rev"})


def first_name(name: Any) -> str:
    """What to call someone after "Hi": the first word of the name, leaving out a title
    ("Dr.") and a comma ("O'Brien, Marcus" gives "O'Brien")."""
    words = _text(name).split()
    while len(words) > 1 and words[0].rstrip(".").lower() in _HONORIFICS:
        words = words[1:]
    if not words:
        return _text(name)
    return words[0].rstrip(",;:") or words[0]


_PREPOSITIONS = frozenset({"at", "in", "on", "through", "via", "during", "from", "over",
                           "after", "before", "while"})
_DETERMINERS = frozenset({"a", "an", "the", "my", "our", "your", "his", "her", "their"})


def how_we_met(how_met: Any) -> str:
    """A sentence saying how you met, made from the free text of ``--how-met``; "" when it
    says nothing worth writing to them (an import's "address book", "introduced by ...",
    which the introduction itself says better).

    "met at PyCon" and "worked together at Litware" read as "We met at PyCon." and
    "We worked together at Litware."; "in the same cohort" as "We met in the same
    cohort."; "PyCon hallway track" as "We crossed paths at PyCon hallway track.";
    "alumni newsletter" as "We crossed paths through the alumni newsletter."
    """
    text = " ".join(_text(how_met).split())
    lower = text.lower()
    if not text or lower.startswith("introduced by") or lower in (
            "address book", "google contacts", "vcard", "imported"):
        return ""
    if lower.startswith("linkedin"):
        return "We're connected on LinkedIn."
    first = lower.split()[0]
    if first == "met" or (first.endswith("ed") and len(first) > 3):
        return end_sentence(f"We {text}")
    if first in _PREPOSITIONS:
        return end_sentence(f"We met {text}")
    if first in _DETERMINERS or not text[0].islower():
        return end_sentence(f"We crossed paths at {text}")
    return end_sentence(f"We crossed paths through the {text}")


# -- the default messages -------------------------------------------------------------------

_SUBJECTS = {
    "ask": "Would you have 20 minutes for a conversation?",
    "nudge": "Following up on my note",
    "thank": "Thank you for your time",
    "checkin": "Checking in",
}

_BODIES = {
    "ask": (
        "Hi {first},\n\n"
        "I'm exploring my next role and would value your perspective{on_company} "
        "Would you be open to a 20-30 minute conversation in the coming weeks? "
        "I'm happy to work around your schedule.\n\nThank you!"
    ),
    "nudge": (
        "Hi {first},\n\n"
        "I wanted to follow up on my earlier note. If you have 20 minutes in the next "
        "few weeks, I'd be grateful for a short conversation. No worries if now is busy.\n\n"
        "Thanks!"
    ),
    "thank": (
        "Hi {first},\n\n"
        "Thank you for taking the time to talk with me. I learned a lot from our "
        "conversation and will follow up on what we discussed.\n\nWith thanks!"
    ),
    "checkin": (
        "Hi {first},\n\n"
        "It's been a while since we last spoke, so I wanted to say hello and share "
        "a quick update. I hope things are going well{at_company}\n\nBest wishes"
    ),
}


def default_message(kind: str, state: ContactState, *, to: str | None, nudge: bool = False
                    ) -> Message:
    """A short, polite message of ``kind`` (ask, thank, checkin) to the contact."""
    key = "nudge" if kind == "ask" and nudge else kind
    company = state.company
    on_company = " " + end_sentence(f"on your work at {company}") if company else "."
    at_company = " " + end_sentence(f"at {company}", "!") if company else "!"
    body = _BODIES[key].format(first=first_name(state.name), on_company=on_company,
                               at_company=at_company)
    return Message(kind=kind, contact=state.id, name=state.name, to=to,
                   subject=_SUBJECTS[key], body=body)
