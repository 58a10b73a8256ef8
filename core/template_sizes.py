"""How big a value a template operation would make, worked out before it is made.

The template sandbox (:mod:`coffeechat.template_sandbox`) asks these checks
before it runs an operation that could make a huge value from a few
characters of template: repetition and growth (``*``, ``**``, ``+``, ``~``),
format widths and precisions, string methods, container growth and filters.
One that would make more than ``TEMPLATE_OUTPUT_CHARS`` characters (or items)
raises Jinja2's SecurityError, which the sandbox reports as "not allowed".
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
from collections.abc import Callable
from typing import Any

from coffeechat import limits

_SIZED = (str, bytes, list, tuple, dict, set, frozenset)
_SEQUENCES = (str, bytes, list, tuple)
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)


def too_big(size: int, what: str, unit: str = "characters") -> None:
    """Refuse ``what`` if it would make more than a whole message may hold."""
    limit = limits.TEMPLATE_OUTPUT_CHARS
    if size > limit:
        from jinja2.exceptions import SecurityError

        raise SecurityError(f"{what} would make {size:,} {unit}, more than the {limit:,} "
                            "a template may make")


def unit(value: Any) -> str:
    return "characters" if isinstance(value, (str, bytes)) else "items"


def length(value: Any) -> int:
    return len(value) if isinstance(value, _SIZED) else 0


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 12 else 10**12


def _digits(number: int) -> int:
    return int(abs(number).bit_length() * math.log10(2)) + 1


def _replaced_size(text: Any, old: Any, new: Any, count: Any) -> int:
    """The length of ``text.replace(old, new, count)``, or more, without making it."""
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:  # (a negative count replaces all)
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _joined_size(separator: Any, items: list[Any], *, counted: bool = True) -> int:
    """The length of ``separator.join(items)`` (``counted``: with the items' own lengths)."""
    joined = sum(map(length, items)) if counted else 0
    return length(separator) * max(len(items) - 1, 0) + joined


def check_spec(spec: str, what: str) -> None:
    """A format spec ('>20', '.3f', '0{n}'): no width or precision past the limit."""
    for digits in re.findall(r"\d+", spec):
        too_big(_number(digits), what)


def _check_printf(text: str, args: Any, what: str) -> None:
    """'%' formatting: no width or precision (written, or a '*' taken from args) too big."""
    stars = False
    for width, precision, _kind in _PRINTF.findall(text):
        for number in (width, precision):
            if number == "*":
                stars = True
            elif number:
                too_big(_number(number), what)
    if stars:
        for value in args if isinstance(args, tuple) else (args,):
            if isinstance(value, int):
                too_big(abs(value), what)


def check_binop(operator: str, left: Any, right: Any) -> None:
    what = f"'{operator}'"
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, _SEQUENCES) and isinstance(times, int):
                too_big(len(sequence) * times, what, unit(sequence))
        if isinstance(left, int) and isinstance(right, int):
            too_big(_digits(left) + _digits(right), what, "digits")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            too_big(math.ceil(min(right, 10**15) * math.log10(abs(left))), what, "digits")
    elif operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            too_big(len(left) + len(right), what, unit(left))
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, right, what)


def check_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
                  ) -> tuple[Any, ...]:
    """Refuse a str method or container change that would grow too big; the args to use."""
    owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    what = f"{name}()"
    if isinstance(owner, (str, bytes)):
        first = args[0] if args else None
        if name in {"center", "ljust", "rjust", "zfill"} and isinstance(first, int):
            too_big(first, what)
        elif name == "expandtabs":
            size = first if args else kwargs.get("tabsize", 8)
            if isinstance(size, int):
                tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
                too_big(len(owner) + tabs * size, what)
        elif name == "replace" and len(args) >= 2:
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            with contextlib.suppress(TypeError):  # a wrong argument: the call itself says so
                too_big(_replaced_size(owner, args[0], args[1], count), what)
        elif name == "join" and args:
            items = list(args[0])
            args = (items, *args[1:])
            too_big(_joined_size(owner, items), what)
        elif name == "translate" and isinstance(first, dict):
            longest = max((length(v) for v in first.values()), default=1)
            too_big(len(owner) * max(longest, 1), what)
    elif isinstance(owner, (list, set, dict)) and name in {"append", "insert", "add",
                                                            "setdefault", "extend", "update"}:
        if name in {"extend", "update"}:
            args = tuple(a if isinstance(a, _SIZED) else list(a) for a in args)
            added = sum(map(length, args)) + len(kwargs)
        else:
            added = 1
        too_big(len(owner) + added, what, "items")
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
        too_big(width, "the center filter")
    return value


def _guard_indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False
                  ) -> Any:
    text = str(s)
    step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    too_big(len(text) + (text.count("\n") + 1) * step, "the indent filter")
    return s


def _guard_wordwrap(s: Any, width: int = 79, break_long_words: bool = True,
                    wrapstring: str | None = None, break_on_hyphens: bool = True) -> Any:
    if isinstance(wrapstring, str) and len(wrapstring) > 1 and isinstance(width, int):
        text = str(s)
        breaks = sum(ch.isspace() for ch in text) + 1
        if break_long_words:
            breaks += len(text) // max(width, 1)
        too_big(len(text) + breaks * len(wrapstring), "the wordwrap filter")
    return s


def _guard_format(value: Any, *args: Any, **kwargs: Any) -> Any:
    _check_printf(str(value), kwargs or args, "the format filter")
    return value


def _guard_join(value: Any, d: Any = "", attribute: Any = None) -> Any:
    items = list(value)
    too_big(_joined_size(d, items, counted=attribute is None), "the join filter")
    return items


def _guard_replace(s: Any, old: Any, new: Any, count: int | None = None) -> Any:
    too_big(_replaced_size(str(s), str(old), str(new), count), "the replace filter")
    return s


def _guard_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    if fill_with is not None and isinstance(linecount, int):
        too_big(linecount, "the batch filter", "items")
    return value


def _guard_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    if isinstance(slices, int):
        too_big(slices, "the slice filter", "slices")
    return value


def _guard_sum(iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    if not isinstance(start, _SEQUENCES):
        return iterable
    items = list(iterable)
    if attribute is None:
        too_big(len(start) + sum(map(length, items)), "the sum filter", "items")
    return items


def _guard_tojson(value: Any, indent: int | str | None = None) -> Any:
    step = len(indent) if isinstance(indent, str) else indent if isinstance(indent, int) else 0
    if step:
        too_big(step * _nodes(value), "the tojson filter")
    return value


_FILTER_GUARDS: dict[str, Callable[..., Any]] = {
    "center": _guard_center, "indent": _guard_indent, "wordwrap": _guard_wordwrap,
    "format": _guard_format, "join": _guard_join, "replace": _guard_replace,
    "batch": _guard_batch, "slice": _guard_slice, "sum": _guard_sum, "tojson": _guard_tojson,
}


def guarded_filter(name: str, function: Any) -> Any:
    """The filter, refusing arguments that would make too much, and results that did."""
    guard = _FILTER_GUARDS.get(name)
    passes_first = getattr(function, "jinja_pass_arg", None) is not None

    @functools.wraps(function)  # (keeps jinja_pass_arg)
    def run(*args: Any, **kwargs: Any) -> Any:
        lead, rest = (args[:1], args[1:]) if passes_first else ((), args)
        if guard is not None and rest:
            rest = (guard(*rest, **kwargs), *rest[1:])
        result = function(*lead, *rest, **kwargs)
        too_big(length(result), f"the {name} filter", unit(result))
        return result

    return run
