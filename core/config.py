"""The settings: ``config.toml``.

The file is in the config folder (``$COFFEECHAT_HOME/config.toml`` when that is
set, else ``~/.config/coffeechat/config.toml`` on Linux; see
:mod:`coffeechat.paths`, which answers for every location). Every key is
optional (top-level keys come before the first table, as TOML wants)::

    plugins_dir = "~/coffeechat-plugins"   # one-off plugins, like --plugins-dir

    [followups]
    thank_you_hours = 24   # thank-you due this long after a meeting
    nudge_days = 7         # nudge due this long after an unanswered ask
    prep_hours = 24        # prep due this long before a scheduled meeting
    commitment_days = 7    # a commitment without a due date is due after this
    referral_days = 7      # reach out to a referred person within this
    checkin_days = 90      # check in this long after the last touch
    schedule_days = 2      # send times this long after a yes, while no meeting is scheduled
    reach_out_days = 7     # reach out to someone added by hand within this
    reach_out_tags = []    # imported contacts with one of these tags get reach-out too
    birthday_days = 3      # a birthday is due this many days before the day

    [rules]                # turn a built-in kind of follow-up off
    birthdays = true       # false: no birthday items in due (show and export ics keep them)

    [keep_in_touch]        # tiers by tag: the ideal and the longest gap between touches
    mentor = { ideal = 30, max = 60 }   # max may be left out: twice the ideal

    [views]                # what `watch` writes beside the Markdown views
    report = true          # false: no report.html (the HTML report)

    [plugins.webhook]      # each plugin's own settings, under its name
    url = "https://hooks.example.com/..."
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from coffeechat.errors import ConfigError
from coffeechat.paths import config_file, default_store
from coffeechat.paths import config_stat as config_stat  # (it lives there, for reads)

if TYPE_CHECKING:
    from pathlib import Path

Positive = Annotated[int, msgspec.Meta(gt=0, le=36500)]


Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]


class Tier(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A keep-in-touch tier: the ideal gap between touches and the longest, in days."""

    ideal: Positive
    max: Positive | None = None  # None: twice the ideal

    def __post_init__(self) -> None:
        if self.max is not None and self.max < self.ideal:
            raise ValueError(f"max ({self.max}) must be at least ideal ({self.ideal})")


class FollowupRules(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """The timings of the built-in follow-up rules.

    A delay in days means calendar days in the local time zone (the same wall
    time N days later, across daylight saving changes); hours are real hours.
    """

    thank_you_hours: Positive = 24
    nudge_days: Positive = 7
    prep_hours: Positive = 24
    commitment_days: Positive = 7
    referral_days: Positive = 7
    checkin_days: Positive = 90
    schedule_days: Positive = 2
    reach_out_days: Positive = 7
    # Imported contacts get no reach-out (an address book is not a to-do list),
    # unless they carry one of these tags.
    reach_out_tags: tuple[Tag, ...] = ()
    birthday_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 3
    birthdays: bool = True  # [rules] birthdays (copied here by load_config)
    # The [keep_in_touch] tiers, by lower-case tag (copied here by load_config, so
    # that the follow-ups are recomputed when they change; see coffeechat.keep_in_touch).
    keep_in_touch: dict[Tag, Tier] = {}


class RuleSwitches(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """[rules]: built-in kinds of follow-up that can be turned off."""

    birthdays: bool = True


class Me(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """You: how messages are signed, and the address that is never a contact."""

    name: str = ""
    email: str | None = None


class EmailSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """How email goes out. The password is never in this file (see password_env)."""

    sender: str | None = msgspec.field(name="from", default=None)  # default: [me]
    host: str | None = None  # no default: --send says to set it rather than try this computer
    port: int | None = None  # default: 587 for starttls, 465 for tls, 25 for none
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str = "COFFEECHAT_SMTP_PASSWORD"  # the variable that holds the password
    keyring: bool = False  # or read it from the system keyring ("coffeechat", username)
    ca_file: str | None = None  # trust this CA too (a company or test server)
    outbox: str | None = None  # where drafts go (default: outbox/ in the data folder)
    timeout: float = 30.0


class CalendarSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Where `calendar push` sends meetings and follow-ups (a CalDAV calendar)."""

    url: str | None = None  # the calendar collection, e.g. https://dav.example.com/maya/cc/
    username: str | None = None
    password_env: str = "COFFEECHAT_CALDAV_PASSWORD"
    reminder_minutes: int = 15  # the VALARM before each meeting
    timeout: float = 30.0  # seconds to wait for the server, each request


class ViewSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """What `watch` writes into the views folder besides the Markdown views."""

    report: bool = True  # report.html, the one-file HTML report (coffeechat report)


class Config(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    followups: FollowupRules = FollowupRules()
    me: Me = Me()
    rules: RuleSwitches = RuleSwitches()
    email: EmailSettings = EmailSettings()
    calendar: CalendarSettings = CalendarSettings()
    views: ViewSettings = ViewSettings()
    # Keep-in-touch tiers by tag: [keep_in_touch] mentor = { ideal = 30, max = 60 }
    keep_in_touch: dict[Tag, Tier] = {}
    # Your own message templates (NAME.j2), which override the built-in ones.
    templates_dir: str | None = None
    # A folder of one-off plugins (*.py files), like --plugins-dir.
    plugins_dir: str | None = None
    # Settings for plugins, one table per plugin name: [plugins.webhook] ...
    plugins: dict[str, dict[str, Any]] = {}


def default_db_path() -> Path:
    """Where the store lives without ``--db`` or ``COFFEECHAT_DB``."""
    from pathlib import Path

    return Path(default_store())


def load_config(path: str | None = None) -> Config:
    """Read and validate the config file; a missing file means all defaults."""
    path = path or config_file()
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except FileNotFoundError:
        return Config()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file ({error.strerror})") from None
    try:
        config = msgspec.toml.decode(raw, type=Config)
    except msgspec.ValidationError as error:
        raise ConfigError(f"{path}: {_where(str(error), raw)}") from None
    except msgspec.DecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return _with_switches(_with_tiers(config, path))


def _with_switches(config: Config) -> Config:
    """[rules] copied into the follow-up settings (so turning one off recomputes them)."""
    if config.rules.birthdays:
        return config
    followups = msgspec.structs.replace(config.followups, birthdays=False)
    return msgspec.structs.replace(config, followups=followups)


def _with_tiers(config: Config, path: str) -> Config:
    """The [keep_in_touch] tiers copied into the follow-up settings (tags in lower case)."""
    if config.followups.keep_in_touch:
        raise ConfigError(f"{path}: key followups.keep_in_touch: tiers go in a table of "
                          "their own, [keep_in_touch]")
    if not config.keep_in_touch:
        return config
    tiers: dict[str, Tier] = {}
    for tag, tier in config.keep_in_touch.items():
        if tag.lower() in tiers:
            raise ConfigError(f"{path}: key keep_in_touch.{tag}: a second tier for the tag "
                              f"{tag.lower()!r} (tags are matched in lower case)")
        tiers[tag.lower()] = tier
    followups = msgspec.structs.replace(config.followups, keep_in_touch=tiers)
    return msgspec.structs.replace(config, followups=followups)


def _where(message: str, raw: bytes = b"") -> str:
    # msgspec says "Expected `int`, got `str` - at `$.followups.nudge_days`", and of a
    # table's key "Expected `str` of length >= 1 - at `key` in `$.keep_in_touch`".
    if " - at `key` in `$." in message:
        text, _, location = message.partition(" - at `key` in `$.")
        return f"key {location.rstrip('`')}: {_tag_said(text)}"
    text, _, location = message.partition(" - at `$.")
    location = location.rstrip("`")
    if location.startswith(("followups.reach_out_tags", "keep_in_touch")):
        text = _tag_said(text)
    if location.startswith("keep_in_touch[...]"):  # (msgspec does not name a table's key)
        location = _tier_key(raw) or location
    if location.startswith("keep_in_touch"):
        text += "; a tier is { ideal = DAYS, max = DAYS } (max may be left out)"
    return f"key {location}: {text}" if location else text


def _tag_said(text: str) -> str:
    """What msgspec says of a tag's length, as a person would."""
    if text == "Expected `str` of length >= 1":
        return 'a tag must not be empty ("")'
    if text.startswith("Expected `str` of length <= "):
        return f"a tag may be at most {text.rpartition(' ')[2]} characters long"
    return text


def _tier_key(raw: bytes) -> str | None:
    """``keep_in_touch.TAG`` for the first tier that does not read as one."""
    try:
        tiers = msgspec.toml.decode(raw).get("keep_in_touch", {})
        for tag, value in tiers.items():
            try:
                msgspec.convert(value, Tier)
            except msgspec.ValidationError as error:
                _text, _, inner = str(error).partition(" - at `$")
                return f"keep_in_touch.{tag}{inner.rstrip('`')}"
    except (msgspec.DecodeError, AttributeError):
        pass
    return None
