"""The console script's entry point: the CLI, with the garbage collector kept off start-up.

Starting a command allocates tens of thousands of objects (click, msgspec, apsw and
our modules), none of which is garbage. CPython's cyclic collector would scan them
some thirty times while the modules load, and once more over everything when the
interpreter exits: about 8 ms of a 60 ms ``due`` on the benchmark machine. So the
collector is off while the modules load (importing this module is the first thing
the script does); then what start-up made is frozen (:func:`gc.freeze`: never
scanned again) and collection runs as usual for the command itself, so a ``watch``
that runs for days frees its cycles. When the command ends, what it made is frozen
too: the process is about to give its memory back whole.

Only the console script and ``python -m coffeechat`` come through here; importing
:mod:`coffeechat.cli.main` (the tests do, in-process) leaves the collector alone.
"""

import gc

gc.disable()


def main() -> None:
    _english_without_catalogues()
    from coffeechat.cli.main import main as run

    gc.freeze()
    gc.enable()
    try:
        run()
    finally:
        gc.freeze()


def _english_without_catalogues() -> None:
    """Let click's own English strings ("Show this message and exit.") skip gettext.

    click passes each through :func:`gettext.gettext`, which looks for a message
    catalogue on every call and, the first time, imports :mod:`locale` (its alias
    tables: 1-3 ms of every command, more than the look-ups). Neither click nor
    coffeechat ships a catalogue, so every look-up returns the text it was given;
    here click's modules get that answer directly.
    """
    import gettext
    import sys

    import click  # noqa: F401  (its modules, each with its own `_`)

    def untranslated(message: str) -> str:
        return message

    for name, module in list(sys.modules.items()):
        if name.startswith("click.") and getattr(module, "_", None) is gettext.gettext:
            module._ = untranslated  # type: ignore[attr-defined]
