"""A single entry survives encoding in every format, with and without compression."""

from __future__ import annotations

from datetime import UTC, datetime

import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.interfaces.storage import SerializationFormat, StorageEntry
from modelmesh_cdk.storage_codec import StoredEntry, decode_entry, encode_entry

METADATA = st.dictionaries(
    st.text(min_size=1, max_size=5), st.integers(-(2**63), 2**63 - 1) | st.text(), max_size=3
)


@given(
    data=st.binary(max_size=64),
    metadata=METADATA,
    format=st.sampled_from(SerializationFormat),
    compression=st.booleans(),
)
def test_an_entry_round_trips(
    data: bytes, metadata: dict, format: SerializationFormat, compression: bool
) -> None:
    stored = StoredEntry(StorageEntry("k", data, metadata), datetime(2026, 1, 2, tzinfo=UTC))
    raw = encode_entry(stored, format, compression=compression)
    assert decode_entry("k", raw, format, compression=compression) == stored


def test_damaged_bytes_name_the_key() -> None:
    with pytest.raises(ValueError, match="'k'"):
        decode_entry("k", b"{not json", SerializationFormat.JSON)


def test_uncompressed_bytes_read_as_compressed_are_refused() -> None:
    stored = StoredEntry(StorageEntry("k", b"x", {}), datetime(2026, 1, 2, tzinfo=UTC))
    raw = encode_entry(stored, SerializationFormat.JSON)
    with pytest.raises(ValueError, match="gzip"):
        decode_entry("k", raw, SerializationFormat.JSON, compression=True)
