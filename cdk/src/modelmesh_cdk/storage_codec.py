"""One storage entry as bytes in the configured format, optionally gzip-compressed.

Every backend that keeps entries (a whole-store file, a file per key, an SQLite row, a
Redis value) encodes them the same way, so a store can be moved between backends and
read back by any of them. A record is ``{"data", "metadata", "last_modified"}``: in
JSON and YAML ``data`` is base64 text, in msgpack raw bytes; ``last_modified`` is ISO
8601. Entry metadata must be representable in the format.
"""

from __future__ import annotations

import base64
import gzip
from datetime import datetime
from typing import Any

import attrs

from modelmesh.interfaces.storage import SerializationFormat, StorageEntry
from modelmesh_cdk.mixins.file_serializer import FileSerializerMixin

__all__ = [
    "StoredEntry",
    "decode_entry",
    "encode_entry",
    "record_from_stored",
    "stored_from_record",
]

_SERIALIZER = FileSerializerMixin()


@attrs.frozen
class StoredEntry:
    """An entry as the store keeps it: the entry and when it was last written."""

    entry: StorageEntry
    last_modified: datetime


def record_from_stored(stored: StoredEntry, format: SerializationFormat) -> dict[str, Any]:
    """The plain record of one entry, ready for ``format``."""
    data = stored.entry.data
    return {
        "data": data
        if format is SerializationFormat.MSGPACK
        else base64.b64encode(data).decode("ascii"),
        "metadata": dict(stored.entry.metadata),
        "last_modified": stored.last_modified.isoformat(),
    }


def stored_from_record(key: str, record: Any) -> StoredEntry:
    """The entry a record describes; ValueError when it is not such a record."""
    try:
        data = record["data"]
        return StoredEntry(
            StorageEntry(
                key=key,
                data=data if isinstance(data, bytes) else base64.b64decode(data, validate=True),
                metadata=dict(record["metadata"]),
            ),
            datetime.fromisoformat(record["last_modified"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"not a storage record for key {key!r} ({error!r})") from error


def encode_entry(
    stored: StoredEntry, format: SerializationFormat, *, compression: bool = False
) -> bytes:
    """The record of one entry as bytes; ValueError when its metadata cannot be
    represented in ``format``."""
    raw = _SERIALIZER._serialize(record_from_stored(stored, format), format)
    return gzip.compress(raw, mtime=0) if compression else raw


def decode_entry(
    key: str, raw: bytes, format: SerializationFormat, *, compression: bool = False
) -> StoredEntry:
    """Read back what ``encode_entry`` wrote; ValueError when the bytes are not such a
    record (wrong format, wrong compression setting, or damaged)."""
    if compression:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(
                f"storage record for key {key!r} is not gzip data ({error})"
            ) from error
    try:
        record = _SERIALIZER._deserialize(raw, format)
    except ValueError as error:
        raise ValueError(f"storage record for key {key!r}: {error}") from error
    return stored_from_record(key, record)
