"""The hash chain's definition is fixed: stores written by any version must verify."""

from __future__ import annotations

from coffeechat.chain import chain_hash, event_hash

FIRST = ("01900000-0000-7000-8000-000000000001", "contact:jane", "1", "contact.added", "1",
         "2026-11-01T09:00:00Z", "2026-11-01T09:00:05Z", "cli", "",
         "01900000-0000-7000-8000-000000000002", '{"name":"Jane Doe"}')
SECOND = ("01900000-0000-7000-8000-000000000003", "contact:jane", "2", "note.added", "1",
          "2026-11-02T09:00:00Z", "2026-11-02T09:00:05Z", "notes:jane.md", "note:1", "",
          '{"text":"Zoë \\u00e9"}')


def test_the_hashes_of_two_known_events_never_change() -> None:
    # (values computed when the definition moved into event_hash; a store's hashes
    # depend on them: a change here would make every existing store fail `verify`)
    assert chain_hash("", FIRST) == \
        "b00e17a49108a7c7563df3ab68598c580a862b460906fda5e1df291b06ef71f1"
    assert chain_hash("ab" * 32, SECOND) == \
        "5609e84698928984e904c6074c1a9a2e1ab655a396bb47c5877f716ef7e683b4"


def test_numbers_and_no_key_or_batch_hash_as_their_text() -> None:
    id_, stream, _version, kind, _schema, at, recorded, source, _key, batch, data = FIRST
    assert event_hash("", id_, stream, 1, kind, 1, at, recorded, source, None, batch, data) \
        == chain_hash("", FIRST)
    assert event_hash("x", *SECOND[:8], "note:1", None, SECOND[10]) == chain_hash("x", SECOND)
