"""The words of the informational-interview cycle: a contact's stage, a follow-up's kind.

Both are ``StrEnum``: a member *is* its string (``Stage.MET == "met"``), so it
is stored, compared and printed as the plain text of the CLI contract, and the
JSON output does not change. Plugins' follow-up rules may use kinds of their
own: a follow-up's ``kind`` is any short string, these are the built-in ones.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Where a contact stands (``contacts --stage``), in the order of the cycle."""

    PROSPECT = "prospect"
    ASKED = "asked"
    ACCEPTED = "accepted"  # said yes; no meeting scheduled yet
    SCHEDULED = "scheduled"
    MET = "met"
    KEEPING_IN_TOUCH = "keeping-in-touch"
    DECLINED = "declined"
    UNANSWERED = "unanswered"  # judged at read time: asked, nudged, still no answer
    ARCHIVED = "archived"


class Kind(StrEnum):
    """The kinds of follow-up that the built-in rules produce."""

    THANK_YOU = "thank-you"
    NUDGE = "nudge"
    PREP = "prep"
    COMMITMENT = "commitment"
    REFERRAL_OUTREACH = "referral-outreach"
    CHECK_IN = "check-in"
    SCHEDULE = "schedule"  # said yes, and no meeting is scheduled yet
    REACH_OUT = "reach-out"  # added by hand, never contacted
    UNANSWERED = "unanswered"  # asked, nudged, still no answer: archive or try another way
    RECORD_MEETING = "record-meeting"  # a scheduled meeting's time passed: held, or cancel
    BIRTHDAY = "birthday"  # a few days before a contact's birthday (computed when read)
