"""The logbook as CSV or JSON, streamed: a year of a busy household never sits in memory.

Rows come from `timeline.everything` (server-side cursors read in chunks, merged lazily)
and leave in batches of lines. Under ASGI the batches are pulled through one thread-sensitive
`sync_to_async` hop each (a plain iterator would be read whole by Django before sending).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async

from logbook.timeline import Entry

COLUMNS = ("time", "kind", "device", "what", "who", "via", "result")
LINES_PER_BATCH = 500


def _fields(entry: Entry) -> dict[str, Any]:
    return {
        "time": entry.at.isoformat(),
        "kind": entry.kind,
        "device": entry.thing_name,
        "what": entry.what,
        "who": entry.who,
        "via": entry.via,
        "result": entry.result,
    }


def csv_lines(entries: Iterable[Entry]) -> Iterator[str]:
    """A header, then one CSV line per entry."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writeheader()
    yield take()
    for entry in entries:
        writer.writerow(_fields(entry))
        yield take()


def json_lines(entries: Iterable[Entry]) -> Iterator[str]:
    """One JSON array, an entry per line (valid JSON as a whole, readable line by line)."""
    yield "["
    separator = "\n"
    for entry in entries:
        yield separator + json.dumps(_fields(entry), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def batched(lines: Iterable[str], size: int = LINES_PER_BATCH) -> Iterator[bytes]:
    """Lines joined into bigger chunks: fewer writes to the socket, fewer thread hops."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


async def as_async(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` read one at a time in Django's sync thread (its database connection)."""

    def step() -> bytes | None:
        return next(chunks, None)

    while True:
        chunk = await sync_to_async(step, thread_sensitive=True)()
        if chunk is None:
            return
        yield chunk
