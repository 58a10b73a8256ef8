"""The limits coffeechat keeps, in one place, and the time limit on code that may hang.

Every number here is documented in docs/guarantees.md. The log is append-only,
so what gets in stays: these bounds are checked where input enters (the CLI,
notes, importers, the store API) so that no event can later break a read.

:func:`time_limit` bounds a call that may block (a plugin's hook, a template
being rendered). On POSIX, in the main thread, it arms a real-time timer whose
signal raises :class:`TimeLimitExceeded` inside the running code: a loop, a
sleep or a blocking socket read is interrupted. Elsewhere (another thread,
Windows) the call runs unbounded. A single C call that never returns to Python
(a huge allocation, say) cannot be interrupted this way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

# -- dates ------------------------------------------------------------------------------
# Every time the log holds lies in this window, so adding any follow-up delay
# (at most 100 years) to one can never overflow a datetime.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 12, 31, 23, 59, 59, tzinfo=UTC)
EARLIEST_STAMP = "1900-01-01T00:00:00Z"
LATEST_STAMP = "2200-12-31T23:59:59Z"

# -- sizes --------------------------------------------------------------------------------
PAYLOAD_BYTES = 256 * 1024  # one event's payload, as stored JSON
NOTE_BYTES = 1024 * 1024  # one note file
LIST_ITEMS = 200  # tags, takeaways, referrals or commitments in one note or event
TEMPLATE_OUTPUT_CHARS = 100_000  # what one rendered message may hold

# -- time ---------------------------------------------------------------------------------
HOOK_SECONDS = 10.0  # a plugin hook call that can block (event_appended, rules, views)
TEMPLATE_SECONDS = 5.0  # rendering one message template


class TimeLimitExceeded(BaseException):
    """Raised inside code that ran past its :func:`time_limit`.

    A BaseException, like KeyboardInterrupt, so that a plugin's ``except
    Exception`` cannot swallow it and carry on hanging.
    """

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} took longer than {seconds:g} s and was stopped")
        self.what = what
        self.seconds = seconds


_active: list[tuple[float, str, float]] = []  # (deadline, what, seconds), innermost last


def _can_alarm() -> bool:
    import signal
    import threading

    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(_signum: int, _frame: object) -> None:
    if _active:
        _deadline, what, seconds = min(_active)
        raise TimeLimitExceeded(what, seconds)


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Run the body for at most ``seconds``; past that, :class:`TimeLimitExceeded` is raised.

    ``what`` names the code for the message ("plugin 'x' in event_appended").
    Limits nest: the earliest deadline wins, and an outer one is re-armed after.
    """
    if seconds <= 0 or not _can_alarm():
        yield
        return
    import signal

    deadline = time.monotonic() + seconds
    entry = (deadline, what, seconds)
    previous = signal.getsignal(signal.SIGALRM) if not _active else None
    if not _active:
        signal.signal(signal.SIGALRM, _on_alarm)
    _active.append(entry)
    _arm()
    try:
        yield
    finally:
        _active.remove(entry)
        if _active:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def _arm() -> None:
    import signal

    remaining = min(_active)[0] - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(remaining, 0.001))


# -- templates (added beside the limits above; the sandbox reads them on each render) ------
TEMPLATE_MEMORY_BYTES = 512 * 1024 * 1024  # more memory than this for one message: stopped
TEMPLATE_FILE_BYTES = 256 * 1024  # one template file (what `template show` and rendering read)
