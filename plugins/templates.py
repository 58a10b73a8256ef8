"""Message templates: Jinja2 in a sandbox, built-in ones, and your own that override them.

A template is a ``NAME.j2`` file whose first line is ``Subject: ...``; the rest
is the body. Templates are looked up in your templates folder first
(``COFFEECHAT_HOME/templates``, or ``templates_dir`` in config.toml), then in
folders plugins register with ``register_template_dirs``, then in the built-in
ones (ask, nudge, thank, checkin, prep). Rendering is sandboxed (no reaching
into Python objects) and strict (an unknown variable is an error, not a blank).

Rendering is bounded, because a template may come from anywhere: it stops
after ``TEMPLATE_SECONDS`` and once the message passes ``TEMPLATE_OUTPUT_CHARS``
characters (the output is counted as it is made), and, where the system allows,
once it has used ``TEMPLATE_MEMORY_BYTES`` more memory. Operations that could
make a huge value from a few characters of template (``'x' * n``, a format
width, ``center``, ``join``, doubling a string in a loop...) are refused before
the value is made when it would pass the output limit. A line break that a
value puts into the subject line is refused rather than moving text into the
body.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from coffeechat import limits
from coffeechat.channels import Message
from coffeechat.clock import local_day, local_time
from coffeechat.codec import decode_payload
from coffeechat.config import home_folder, load_config
from coffeechat.errors import CoffeechatError
from coffeechat.fold import ContactState
from coffeechat.hookspecs import hookimpl

BUILTIN_DIR = str(Path(__file__).parent / "templates")
KIND_TEMPLATES = {"ask": "ask", "thank": "thank", "checkin": "checkin"}
TEMPLATE_MEMORY_BYTES = 512 * 1024 * 1024  # more memory than this for one message: stopped

# A line break that a value ({{ ... }}) makes while the first line is being
# written is written as this private-use character, so that only the
# template's own text can end the subject; in the body it is a line break again.
VALUE_LINE_BREAK = "\ue000"

QUESTION_BANK = (
    "What does a typical week look like in your role?",
    "What do you wish you had known before starting in this field?",
    "Which skills make the biggest difference for someone joining your team?",
    "How do people on your team usually find their way in?",
    "What is the team working on that you're most excited about?",
    "Who else would you suggest I talk to?",
)


class TemplateError(CoffeechatError):
    """A template that cannot be rendered: names the template and the line."""


class Template(NamedTuple):
    name: str
    path: str
    source: str  # "yours", "built-in", or the folder a plugin registered


@hookimpl
def register_template_dirs(register: Any) -> None:
    register(BUILTIN_DIR)


def user_dir() -> str:
    configured = load_config().templates_dir
    return os.path.expanduser(configured) if configured else os.path.join(home_folder(),
                                                                          "templates")


def template_dirs(plugin_dirs: list[str]) -> list[tuple[str, str]]:
    """(folder, source) in lookup order: yours, plugins', built-in."""
    dirs = [(user_dir(), "yours")]
    dirs += [(d, d) for d in plugin_dirs if d != BUILTIN_DIR]
    dirs.append((BUILTIN_DIR, "built-in"))
    return dirs


def available(plugin_dirs: list[str]) -> dict[str, Template]:
    """Every template by name; a name in an earlier folder hides the later ones."""
    found: dict[str, Template] = {}
    for folder, source in template_dirs(plugin_dirs):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for file_name in names:
            if file_name.endswith(".j2") and file_name[:-3] not in found:
                found[file_name[:-3]] = Template(file_name[:-3], os.path.join(folder, file_name),
                                                 source)
    return found


def render(name: str, context: dict[str, Any], plugin_dirs: list[str]) -> tuple[str, str]:
    """(subject, body) of a template rendered with ``context``; TemplateError if it fails.

    Whatever goes wrong (a syntax error, the sandbox, a missing variable or
    include, the time, size or memory limit) ends in one TemplateError.
    """
    import jinja2

    folders = [folder for folder, _source in template_dirs(plugin_dirs)]
    subject = _SubjectLine()

    @jinja2.pass_eval_context  # (which also keeps Jinja2 from writing constants at compile time)
    def finalize(_eval_ctx: Any, value: Any) -> str:
        return subject.write(value)

    env = _sandbox_class()(loader=jinja2.FileSystemLoader(folders),
                           undefined=jinja2.StrictUndefined, autoescape=False,
                           keep_trailing_newline=True, finalize=finalize)
    try:
        with _memory_cap(), limits.time_limit(limits.TEMPLATE_SECONDS, f"template {name!r}"):
            text = _generate(env, name, context, plugin_dirs, subject)
    except TemplateError:
        raise
    except limits.TimeLimitExceeded as error:
        raise TemplateError(str(error)) from None
    except MemoryError:
        raise TemplateError(f"template {name!r} needed more than "
                            f"{TEMPLATE_MEMORY_BYTES // 2**20} MiB of memory and was stopped"
                            ) from None
    except jinja2.TemplateNotFound as error:  # one it includes, extends or imports
        raise TemplateError(f"{_where(error, name)}: {error.name!r} does not exist") from None
    except jinja2.TemplateSyntaxError as error:
        inner = (error.name or "")[:-3] if (error.name or "").endswith(".j2") else None
        within = f" (in {inner!r})" if inner and inner != name else ""
        raise TemplateError(f"template {name!r}{within}, line {error.lineno}: "
                            f"{error.message}") from None
    except Exception as error:  # the sandbox, an undefined variable, a template's own bug
        kind = "not allowed" if type(error).__name__ == "SecurityError" else type(error).__name__
        message = " ".join(str(error).splitlines())
        raise TemplateError(f"{_where(error, name)}: {kind}: {message}") from None
    return _split(text, name)


def _generate(env: Any, name: str, context: dict[str, Any], plugin_dirs: list[str],
              subject: _SubjectLine) -> str:
    """The rendered text, made as a stream and stopped once it passes the output limit."""
    import jinja2

    try:
        template = env.get_template(f"{name}.j2")
    except jinja2.TemplateNotFound:
        known = ", ".join(sorted(available(plugin_dirs)))
        raise TemplateError(f"--template: no template {name!r} (known: {known})") from None
    limit = limits.TEMPLATE_OUTPUT_CHARS
    parts: list[str] = []
    size = 0
    stream = template.generate(**context)
    try:
        for part in stream:
            size += len(part)
            if size > limit:
                raise TemplateError(f"template {name!r}: the message is longer than "
                                    f"{limit:,} characters; stopped")
            parts.append(part)
            if subject.open and "\n" in part:
                subject.open = False  # the template's own text ended the first line
    finally:
        stream.close()
    return "".join(parts)


def _split(text: str, name: str) -> tuple[str, str]:
    """(subject, body): the subject is the first line, and only the template's text ends it."""
    head, _, body = text.partition("\n")
    if not head.startswith("Subject:"):
        raise TemplateError(f"template {name!r}, line 1: the first line must be 'Subject: ...'")
    subject = head[len("Subject:"):].strip()
    if VALUE_LINE_BREAK in subject or len(subject.splitlines()) > 1:
        raise TemplateError(f"template {name!r}, line 1: the subject holds a line break; "
                            "a subject must be one line")
    return subject, body.replace(VALUE_LINE_BREAK, "\n").lstrip("\n").rstrip() + "\n"


class _SubjectLine:
    """Whether the first line is still being written, and so whether to mark line breaks.

    Jinja2 calls :meth:`write` for every ``{{ value }}``; the output stream is
    read as it is made, so until a line break from the template's own text has
    gone by, a value is still on the subject line.
    """

    def __init__(self) -> None:
        self.open = True

    def write(self, value: Any) -> str:
        text = str(value)
        return text.replace("\n", VALUE_LINE_BREAK) if self.open and "\n" in text else text


def _where(error: BaseException, name: str) -> str:
    """"template 'x', line N", naming the included template the error is in, if it is."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".j2"):
            inner = os.path.basename(frame.filename)[:-3]
            within = f" (in {inner!r})" if inner != name else ""
            return f"template {name!r}{within}, line {frame.lineno or '?'}"
    return f"template {name!r}, line ?"


# -- memory -----------------------------------------------------------------------------

def can_cap_memory() -> bool:
    """Whether rendering can be held to TEMPLATE_MEMORY_BYTES here (Linux, main thread)."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return (os.path.exists("/proc/self/statm")
            and threading.current_thread() is threading.main_thread())


@contextlib.contextmanager
def _memory_cap() -> Iterator[None]:
    """Cap the address space at its current size plus TEMPLATE_MEMORY_BYTES, then restore it.

    A huge allocation happens in one C call that no time limit interrupts; under
    the cap it fails with MemoryError instead of taking the machine's memory.
    """
    previous = _set_memory_cap() if can_cap_memory() else None
    try:
        yield
    finally:
        if previous is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, previous)


def _set_memory_cap() -> tuple[int, int] | None:
    import resource

    try:
        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * resource.getpagesize()
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = in_use + TEMPLATE_MEMORY_BYTES
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft != resource.RLIM_INFINITY and soft <= cap:
            return None  # already held tighter
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError):
        return None
    return soft, hard


# -- the sandbox: refusing what would grow too big before it is made -------------------------

_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_SEQUENCES = (str, bytes, list, tuple)
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)


def _too_big(size: int, what: str, unit: str = "characters") -> None:
    """Refuse ``what`` if it would make more than a whole message may hold."""
    limit = limits.TEMPLATE_OUTPUT_CHARS
    if size > limit:
        from jinja2.exceptions import SecurityError

        raise SecurityError(f"{what} would make {size:,} {unit}, more than the {limit:,} "
                            "a template may make")


def _unit(value: Any) -> str:
    return "characters" if isinstance(value, (str, bytes)) else "items"


def _length(value: Any) -> int:
    return len(value) if isinstance(value, _SIZED) else 0


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 12 else 10**12


def _digits(number: int) -> int:
    return int(abs(number).bit_length() * math.log10(2)) + 1


def _check_spec(spec: str, what: str) -> None:
    """A format spec ('>20', '.3f', '0{n}'): no width or precision past the limit."""
    for digits in re.findall(r"\d+", spec):
        _too_big(_number(digits), what)


def _check_printf(text: str, args: Any, what: str) -> None:
    """'%' formatting: no width or precision (written, or a '*' taken from args) too big."""
    stars = False
    for width, precision, _kind in _PRINTF.findall(text):
        for number in (width, precision):
            if number == "*":
                stars = True
            elif number:
                _too_big(_number(number), what)
    if stars:
        for value in args if isinstance(args, tuple) else (args,):
            if isinstance(value, int):
                _too_big(abs(value), what)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    what = f"'{operator}'"
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, _SEQUENCES) and isinstance(times, int):
                _too_big(len(sequence) * times, what, _unit(sequence))
        if isinstance(left, int) and isinstance(right, int):
            _too_big(_digits(left) + _digits(right), what, "digits")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _too_big(math.ceil(min(right, 10**15) * math.log10(abs(left))), what, "digits")
    elif operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            _too_big(len(left) + len(right), what, _unit(left))
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, right, what)


def _check_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
                  ) -> tuple[Any, ...]:
    """Refuse a str method or container change that would grow too big; the args to use."""
    owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    what = f"{name}()"
    if isinstance(owner, (str, bytes)):
        first = args[0] if args else None
        if name in {"center", "ljust", "rjust", "zfill"} and isinstance(first, int):
            _too_big(first, what)
        elif name == "expandtabs":
            size = first if args else kwargs.get("tabsize", 8)
            tab = "\t" if isinstance(owner, str) else b"\t"
            if isinstance(size, int):
                _too_big(len(owner) + owner.count(tab) * size, what)  # type: ignore[arg-type]
        elif name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            with contextlib.suppress(TypeError):  # a wrong argument: the call itself says so
                found = owner.count(old) if old else len(owner) + 1
                if isinstance(count, int) and count >= 0:
                    found = min(found, count)
                _too_big(len(owner) + found * max(len(new) - len(old), 0), what)
        elif name == "join" and args:
            items = list(first)
            args = (items, *args[1:])
            _too_big(len(owner) * max(len(items) - 1, 0) + sum(map(_length, items)), what)
        elif name == "translate" and isinstance(first, dict):
            longest = max((_length(v) for v in first.values()), default=1)
            _too_big(len(owner) * max(longest, 1), what)
    elif isinstance(owner, (list, set, dict)) and name in {"append", "insert", "add",
                                                            "setdefault", "extend", "update"}:
        if name in {"extend", "update"}:
            args = tuple(a if isinstance(a, _SIZED) else list(a) for a in args)
            added = sum(map(_length, args)) + len(kwargs)
        else:
            added = 1
        _too_big(len(owner) + added, what, "items")
    return args


def _nodes(value: Any) -> int:
    """How many values ``value`` holds, nested (counting stops past the limit)."""
    count, pending = 0, [value]
    while pending and count <= limits.TEMPLATE_OUTPUT_CHARS:
        item = pending.pop()
        count += 1
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            pending.extend(item)
    return count


# Filters that can make far more than they are given: each guard checks the
# arguments (and may hand back its value as a list, when it had to count it).

def _guard_center(value: Any, width: int = 80) -> Any:
    if isinstance(width, int):
        _too_big(width, "the center filter")
    return value


def _guard_indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False
                  ) -> Any:
    text = str(s)
    step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    _too_big(len(text) + (text.count("\n") + 1) * step, "the indent filter")
    return s


def _guard_wordwrap(s: Any, width: int = 79, break_long_words: bool = True,
                    wrapstring: str | None = None, break_on_hyphens: bool = True) -> Any:
    if isinstance(wrapstring, str) and len(wrapstring) > 1 and isinstance(width, int):
        text = str(s)
        breaks = sum(ch.isspace() for ch in text) + 1
        if break_long_words:
            breaks += len(text) // max(width, 1)
        _too_big(len(text) + breaks * len(wrapstring), "the wordwrap filter")
    return s


def _guard_format(value: Any, *args: Any, **kwargs: Any) -> Any:
    _check_printf(str(value), kwargs or args, "the format filter")
    return value


def _guard_join(value: Any, d: Any = "", attribute: Any = None) -> Any:
    items = list(value)
    joined = sum(map(_length, items)) if attribute is None else 0
    _too_big(_length(d) * max(len(items) - 1, 0) + joined, "the join filter")
    return items


def _guard_replace(s: Any, old: Any, new: Any, count: int | None = None) -> Any:
    text, old, new = str(s), str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int):
        found = min(found, max(count, 0))
    _too_big(len(text) + found * max(len(new) - len(old), 0), "the replace filter")
    return s


def _guard_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    if fill_with is not None and isinstance(linecount, int):
        _too_big(linecount, "the batch filter", "items")
    return value


def _guard_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    if isinstance(slices, int):
        _too_big(slices, "the slice filter", "slices")
    return value


def _guard_sum(iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if not isinstance(start, _SEQUENCES):
        return iterable
    items = list(iterable)
    if attribute is None:
        _too_big(len(start) + sum(map(_length, items)), "the sum filter", "items")
    return items


def _guard_tojson(value: Any, indent: int | str | None = None) -> Any:
    step = len(indent) if isinstance(indent, str) else indent if isinstance(indent, int) else 0
    if step:
        _too_big(step * _nodes(value), "the tojson filter")
    return value


_FILTER_GUARDS = {
    "center": _guard_center, "indent": _guard_indent, "wordwrap": _guard_wordwrap,
    "format": _guard_format, "join": _guard_join, "replace": _guard_replace,
    "batch": _guard_batch, "slice": _guard_slice, "sum": _guard_sum, "tojson": _guard_tojson,
}


def _guarded_filter(name: str, function: Any) -> Any:
    """The filter, refusing arguments that would make too much, and results that did."""
    guard = _FILTER_GUARDS.get(name)
    passes_first = getattr(function, "jinja_pass_arg", None) is not None

    @functools.wraps(function)  # (keeps jinja_pass_arg)
    def run(*args: Any, **kwargs: Any) -> Any:
        lead, rest = (args[:1], args[1:]) if passes_first else ((), args)
        if guard is not None and rest:
            rest = (guard(*rest, **kwargs), *rest[1:])
        result = function(*lead, *rest, **kwargs)
        _too_big(_length(result), f"the {name} filter", _unit(result))
        return result

    return run


@functools.cache
def _sandbox_class() -> type:
    """Jinja2's SandboxedEnvironment, holding every value a template makes to the output limit.

    Built on first use, so that commands without templates never import Jinja2.
    """
    import types

    from jinja2.compiler import CodeGenerator
    from jinja2.runtime import markup_join
    from jinja2.sandbox import SandboxedEnvironment, SandboxedFormatter
    from markupsafe import EscapeFormatter, Markup

    class SizedFormatter(SandboxedFormatter):
        def format_field(self, value: Any, format_spec: str) -> Any:
            _check_spec(format_spec, "a format spec")
            return super().format_field(value, format_spec)

    class SizedEscapeFormatter(SizedFormatter, EscapeFormatter):
        pass

    class SizedCodeGenerator(CodeGenerator):
        def visit_Concat(self, node: Any, frame: Any) -> None:  # '~': checked before joining
            self.write("environment.checked_concat(context.eval_ctx, (")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    class SizedSandbox(SandboxedEnvironment):
        code_generator_class = SizedCodeGenerator
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.filters = {name: _guarded_filter(name, function)
                            for name, function in self.filters.items()}
            lipsum = self.globals["lipsum"]

            def sized_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100
                             ) -> Any:
                if isinstance(n, int) and isinstance(min, int):
                    _too_big(n * min * 5, "lipsum()")
                return lipsum(n, html, min, max)

            self.globals["lipsum"] = sized_lipsum

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            return super().call_binop(context, operator, left, right)

        def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
            args = _check_method(obj, args, kwargs)
            result = super().call(context, obj, *args, **kwargs)
            label = getattr(obj, "__name__", None) or getattr(obj, "name", None) or "a call"
            _too_big(_length(result), f"{label}()", _unit(result))
            return result

        def checked_concat(self, eval_ctx: Any, parts: tuple[Any, ...]) -> str:
            texts = [part if isinstance(part, str) else str(part) for part in parts]
            _too_big(sum(map(len, texts)), "'~'")
            return markup_join(parts) if eval_ctx.autoescape else "".join(texts)

        def wrap_str_format(self, value: Any) -> Any:
            # As Jinja2's own, with a formatter that checks each format spec.
            if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or \
                    value.__name__ not in ("format", "format_map"):
                return None
            owner = value.__self__
            if not isinstance(owner, str):
                return None
            formatter = SizedEscapeFormatter(self, escape=owner.escape) \
                if isinstance(owner, Markup) else SizedFormatter(self)
            is_map = value.__name__ == "format_map"

            def sized_format(*args: Any, **kwargs: Any) -> str:
                if is_map:
                    if kwargs or len(args) != 1:
                        raise TypeError("format_map() takes exactly one argument")
                    args, kwargs = (), args[0]
                return type(owner)(formatter.vformat(owner, args, kwargs))

            return functools.update_wrapper(sized_format, value)

    return SizedSandbox


# -- what a template can use ------------------------------------------------------

def render_for(name: str, state: ContactState, store: Any, template_dirs: list[str]
               ) -> tuple[str, str]:
    """(subject, body) of template ``name`` for the contact ``state``."""
    row = store.conn.execute("SELECT name FROM contacts WHERE id = ?",
                             (state.referred_by,)).fetchone() if state.referred_by else None
    return render(name, context_for(state, row[0] if row else None), template_dirs)


def context_for(state: ContactState, referrer: str | None) -> dict[str, Any]:
    """The variables a template sees for one contact (``referrer``: who introduced you)."""
    config = load_config()
    payloads = [(row, decode_payload(row.type, row.schema, row.data)) for row in state.events]
    meetings = [(row, p) for row, p in payloads if row.type == "meeting.held"]
    last_meeting = meetings[-1][1] if meetings else None
    takeaways = list(getattr(last_meeting, "takeaways", []) or [])
    notes = [p.text for row, p in payloads if row.type == "note.added"]
    notes += [p.notes for _row, p in meetings if p.notes]
    first = state.name.split()[0] if state.name.split() else state.name
    scheduled = state.scheduled_at
    return {
        "contact": {
            "id": state.id, "name": state.name, "first_name": first,
            "company": state.company, "role": state.role, "email": state.email,
            "phone": state.phone, "linkedin": state.linkedin, "how_met": state.how_met,
            "tags": list(state.tags), "referred_by": state.referred_by,
            "referred_by_name": referrer,
        },
        "me": {"name": config.me.name, "email": config.me.email},
        "takeaways": takeaways,
        "notes": notes,
        "commitments": [{"text": c.text, "due": local_day(c.due) if c.due else None}
                        for c in state.commitments.values()],
        "meeting": {
            "when": local_time(scheduled) if scheduled else None,
            "day": local_day(scheduled or state.last_met_at) if (scheduled or state.last_met_at)
            else None,
            "minutes": _scheduled(payloads, "minutes"), "where": _scheduled(payloads, "where"),
        },
        "request": {"day": local_day(state.request_at) if state.request_at else None},
        "last_touch": {"day": local_day(state.last_touch_at) if state.last_touch_at else None},
        "questions": questions_for(state, takeaways, referrer),
    }


def _scheduled(payloads: list[tuple[Any, Any]], field: str) -> Any:
    found = [p for row, p in payloads if row.type == "meeting.scheduled"]
    return getattr(found[-1], field, None) if found else None


def questions_for(state: ContactState, takeaways: list[str], referrer: str | None
                  ) -> list[str]:
    """Three to five questions: a few about this person, the rest from the question bank."""
    personal = []
    if state.role and state.company:
        personal.append(f"How did you come to be a {state.role} at {state.company}?")
    elif state.company:
        personal.append(f"What brought you to {state.company}?")
    if referrer:
        personal.append(f"How do you know {referrer}?")
    if takeaways:
        personal.append(f"Last time you suggested I {takeaways[0]}: what would you do next?")
    if state.tags:
        personal.append(f"What's changing in {state.tags[0]} work these days?")
    bank = [q for q in QUESTION_BANK if q not in personal]
    return (personal[:3] + bank)[:5]


@hookimpl
def compose_message(kind: str, state: ContactState, to: str | None, nudge: bool,
                    template: str | None, store: Any, template_dirs: list[str]
                    ) -> Message | None:
    """Render the message from ``template``, or from the built-in one for its kind."""
    name = template or ("nudge" if kind == "ask" and nudge else KIND_TEMPLATES.get(kind))
    if name is None:
        return None
    subject, body = render_for(name, state, store, template_dirs)
    return Message(kind=kind, contact=state.id, name=state.name, to=to, subject=subject,
                   body=body)
