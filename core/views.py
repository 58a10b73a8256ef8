"""What a Markdown view is given: the ``register_views`` hook's render context.

``coffeechat watch`` writes views (Markdown files) into the views folder; each
view is a function ``render(context) -> {relative path: Markdown text}``
registered with ``register_views``. The built-in views are registered the same
way (``coffeechat.plugins.markdown_views``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import apsw

    from coffeechat.notebook import NoteError
    from coffeechat.store import Store


class ViewContext(NamedTuple):
    """The state a view renders: current projections, judged at ``now``."""

    store: Store  # the open store (its projections are caught up)
    schema: str  # the schema to query the projections in (``main``)
    now: str  # the stored-form stamp the views are judged at (2026-11-02T09:00:00Z)
    errors: list[NoteError]  # the notes that could not be read, with where and why
    pages: set[str] | None  # contact ids whose pages changed; None means all

    @property
    def db(self) -> apsw.Connection:
        """The store's SQLite connection, to query the projections."""
        return self.store.conn
