"""Event ids: UUIDv7 text, increasing within a process, made one at a time or by the batch."""

from __future__ import annotations

import re
import uuid

from coffeechat import ids

V7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_batch_ids_are_uuid7s_that_go_on_increasing() -> None:
    first = ids.uuid7()
    batch = ids.uuid7_batch(10_000)  # more than 4,096: the counter rolls into the next ms
    after = ids.uuid7()
    every = [first, *batch, after]
    assert all(V7.fullmatch(i) for i in every)
    assert every == sorted(every) and len(set(every)) == len(every)
    parsed = [uuid.UUID(i) for i in batch]
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert len({i[:13] for i in batch}) >= 3  # 10,000 ids span at least three milliseconds


def test_a_batch_id_is_written_as_a_single_id_would_be() -> None:
    for made in ids.uuid7_batch(5_000):
        ms = int(made[:8] + made[9:13], 16)
        counter = int(made[15:18], 16)
        tail = bytes.fromhex(made[19:23] + made[24:])
        assert ids._format(ms, counter, tail) == made
