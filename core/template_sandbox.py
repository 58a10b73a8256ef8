"""Rendering a Jinja2 template safely, whatever the template holds.

A template may come from anywhere, so :func:`render` bounds it: it runs in
Jinja2's sandbox (no reaching into Python objects), strict (an unknown
variable is an error), and stops after ``TEMPLATE_SECONDS``, once the output
passes ``TEMPLATE_OUTPUT_CHARS`` characters (counted as it is made) and,
where the system allows, once it has used a memory cap more than it started
with. Operations that could make a huge value from a few characters of
template (``'x' * n``, a format width, ``center``, ``join``, doubling a string
in a loop...) are refused before the value is made when it would pass the
output limit. Template files are read only when they are regular files of at
most ``TEMPLATE_FILE_BYTES``. Whatever goes wrong ends in one
:class:`TemplateError` naming the template and, where known, the line.

Jinja2 is imported on first use only: commands without templates never load it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from coffeechat import limits, messages
from coffeechat import template_sizes as sizes
from coffeechat.errors import CoffeechatError
from coffeechat.files import NotRegular, read_regular

SUFFIX = ".j2"  # a template named NAME is the file NAME.j2

# The grammar a template needs for real data ("an Analytics Manager", "Acme Inc." not
# "Acme Inc..", a missing field left out): filters every template can use (docs/templates.md).
WORDING_FILTERS: dict[str, Callable[..., str]] = {
    "a_or_an": messages.a_or_an, "article": messages.article,
    "end_sentence": messages.end_sentence, "first_name": messages.first_name,
    "how_we_met": messages.how_we_met,
}


class TemplateError(CoffeechatError):
    """A template that cannot be rendered: names the template and the line."""


class MissingTemplate(TemplateError):
    """The template asked for is in none of the folders."""


class TemplateFileError(TemplateError):
    """A template file that is not read: not a regular file, too big, or unreadable."""


def read_template_file(path: str) -> str:
    """The text of a template file; :class:`TemplateFileError` unless it is a regular file
    of at most ``TEMPLATE_FILE_BYTES`` in UTF-8.

    It never waits: a FIFO or a device is refused before anything is read from it.
    A link is followed, then held to the same rules.
    """
    limit = limits.TEMPLATE_FILE_BYTES
    try:
        raw, info = read_regular(path, limit + 1, follow_links=True)
    except NotRegular:
        raise TemplateFileError(f"{path} is not a regular file (templates are read from "
                                "regular files only)") from None
    except OSError as error:
        raise TemplateFileError(f"cannot read {path} ({error.strerror})") from None
    if info.st_size > limit:
        raise TemplateFileError(f"{path} is {info.st_size:,} bytes, over the limit of "
                                f"{limit:,} bytes for a template")
    if len(raw) > limit:  # it grew since it was looked at
        raise TemplateFileError(f"{path} is over the limit of {limit:,} bytes for a template")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TemplateFileError(f"{path} is not UTF-8 text") from None


def render(name: str, folders: list[str], context: dict[str, Any], *,
           finalize: Callable[[Any], str] = str, on_part: Callable[[str], None] | None = None,
           memory_bytes: int | None = None) -> str:
    """Template ``name`` (the file ``NAME.j2`` in the first of ``folders`` holding it),
    rendered with ``context``.

    ``finalize`` turns each ``{{ value }}`` into text; ``on_part`` sees each
    piece of output as it is made. ``memory_bytes`` caps the memory rendering
    may take (default ``limits.TEMPLATE_MEMORY_BYTES``). Whatever goes wrong (a
    syntax error, the sandbox, a missing variable or include, a file that is not
    read, the time, size or memory limit) ends in one :class:`TemplateError`;
    :class:`MissingTemplate` if ``name`` itself is in none of the folders.
    """
    import jinja2

    @jinja2.pass_eval_context  # (which also keeps Jinja2 from writing constants at compile time)
    def finalize_value(_eval_ctx: Any, value: Any) -> str:
        return finalize(value)

    cap = limits.TEMPLATE_MEMORY_BYTES if memory_bytes is None else memory_bytes
    env = _sandbox_class()(loader=_loader_class()(folders), undefined=jinja2.StrictUndefined,
                           autoescape=False, keep_trailing_newline=True,
                           finalize=finalize_value)
    try:
        with memory_cap(cap), limits.time_limit(limits.TEMPLATE_SECONDS,
                                                f"template {name!r}"):
            return _generate(env, name, context, on_part)
    except TemplateFileError as error:  # (the line of the include, if it is one)
        raise TemplateError(f"{_where(error, name, unknown='')}: {error.message}") from None
    except TemplateError:
        raise
    except limits.TimeLimitExceeded as error:
        raise TemplateError(str(error)) from None
    except MemoryError:
        raise TemplateError(f"template {name!r} needed more than {cap // 2**20} MiB of memory "
                            "and was stopped") from None
    except jinja2.TemplateNotFound as error:  # one it includes, extends or imports
        raise TemplateError(f"{_where(error, name)}: {error.name!r} does not exist") from None
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(f"{_label(name, error.name)}, line {error.lineno}: "
                            f"{error.message}") from None
    except Exception as error:  # the sandbox, an undefined variable, a template's own bug
        kind = "not allowed" if type(error).__name__ == "SecurityError" else type(error).__name__
        message = " ".join(str(error).splitlines())
        raise TemplateError(f"{_where(error, name)}: {kind}: {message}") from None


def _generate(env: Any, name: str, context: dict[str, Any],
              on_part: Callable[[str], None] | None) -> str:
    """The rendered text, made as a stream and stopped once it passes the output limit."""
    import jinja2

    try:
        template = env.get_template(name + SUFFIX)
    except jinja2.TemplateNotFound:
        raise MissingTemplate(f"no template {name!r}") from None
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
            if on_part is not None:
                on_part(part)
    finally:
        stream.close()
    return "".join(parts)


def _label(name: str, file_name: str | None = None) -> str:
    """"template 'x'", with "(in 'y')" when the file at fault is another template it uses."""
    inner = os.path.basename(file_name)[:-len(SUFFIX)] if file_name and \
        file_name.endswith(SUFFIX) else None
    return f"template {name!r}" + (f" (in {inner!r})" if inner and inner != name else "")


def _where(error: BaseException, name: str, unknown: str = ", line ?") -> str:
    """"template 'x', line N", naming the included template the error is in, if it is
    (``unknown`` follows the name when the error did not come from a template's code)."""
    import traceback

    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(SUFFIX):
            return f"{_label(name, frame.filename)}, line {frame.lineno or '?'}"
    return f"template {name!r}{unknown}"


@functools.cache
def _loader_class() -> type:
    """Jinja2's FileSystemLoader, reading through :func:`read_template_file`."""
    import posixpath

    from jinja2 import FileSystemLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    class RegularFileLoader(FileSystemLoader):
        def get_source(self, environment: Any, template: str
                       ) -> tuple[str, str, Callable[[], bool]]:
            pieces = split_template_path(template)  # (refuses '..')
            for folder in self.searchpath:
                path = posixpath.join(folder, *pieces)
                if os.path.exists(path) and not os.path.isdir(path):
                    # An environment lives for one render: what it read stays up to date.
                    return read_template_file(path), os.path.normpath(path), lambda: True
            raise TemplateNotFound(template)

    return RegularFileLoader


# -- memory -----------------------------------------------------------------------------

def can_cap_memory() -> bool:
    """Whether rendering can be held to a memory cap here (Linux, main thread)."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return (os.path.exists("/proc/self/statm")
            and threading.current_thread() is threading.main_thread())


@contextlib.contextmanager
def memory_cap(extra_bytes: int) -> Iterator[None]:
    """Cap the address space at its current size plus ``extra_bytes``, then restore it.

    A huge allocation happens in one C call that no time limit interrupts; under
    the cap it fails with MemoryError instead of taking the machine's memory.
    """
    previous = _set_memory_cap(extra_bytes) if can_cap_memory() else None
    try:
        yield
    finally:
        if previous is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, previous)


def _set_memory_cap(extra_bytes: int) -> tuple[int, int] | None:
    import resource

    try:
        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * resource.getpagesize()
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = in_use + extra_bytes
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft != resource.RLIM_INFINITY and soft <= cap:
            return None  # already held tighter
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError):
        return None
    return soft, hard


@functools.cache
def _sandbox_class() -> type:
    """Jinja2's SandboxedEnvironment, holding every value a template makes to the output limit.

    Built on first use, so that commands without templates never import Jinja2.
    """
    import types

    from jinja2.compiler import CodeGenerator
    from jinja2.runtime import markup_join
    from jinja2.sandbox import SandboxedEnvironment, SandboxedFormatter
    from jinja2.utils import generate_lorem_ipsum
    from markupsafe import EscapeFormatter, Markup

    class SizedFormatter(SandboxedFormatter):
        def format_field(self, value: Any, format_spec: str) -> Any:
            sizes.check_spec(format_spec, "a format spec")
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
            self.filters.update(WORDING_FILTERS)
            self.filters = {name: sizes.guarded_filter(name, function)
                            for name, function in self.filters.items()}

            def sized_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100
                             ) -> Any:
                if isinstance(n, int) and isinstance(min, int):
                    sizes.too_big(n * min * 5, "lipsum()")
                return generate_lorem_ipsum(n, html, min, max)  # (Jinja2's own lipsum)

            self.globals["lipsum"] = sized_lipsum

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            sizes.check_binop(operator, left, right)
            return super().call_binop(context, operator, left, right)

        def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
            args = sizes.check_method(obj, args, kwargs)
            result = super().call(context, obj, *args, **kwargs)
            label = getattr(obj, "__name__", None) or getattr(obj, "name", None) or "a call"
            sizes.too_big(sizes.length(result), f"{label}()", sizes.unit(result))
            return result

        def checked_concat(self, eval_ctx: Any, parts: tuple[Any, ...]) -> str:
            texts = [part if isinstance(part, str) else str(part) for part in parts]
            sizes.too_big(sum(map(len, texts)), "'~'")
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
                    mapping = args[0]
                    args, kwargs = (), mapping
                return type(owner)(formatter.vformat(owner, args, kwargs))

            return functools.update_wrapper(sized_format, value)

    return SizedSandbox
