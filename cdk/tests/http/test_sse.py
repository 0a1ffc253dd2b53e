"""iter_sse_data follows the event-stream rules, whatever the read boundaries."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence

import httpx
from hypothesis import given
from hypothesis import strategies as st

from modelmesh_cdk.mixins.http_client import iter_sse_data


class Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: Sequence[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def parse(*chunks: bytes) -> list[str]:
    async def main() -> list[str]:
        response = httpx.Response(200, stream=Chunks(chunks))
        return [data async for data in iter_sse_data(response)]

    return asyncio.run(main())


def test_data_after_colon_and_space():
    assert parse(b"data: hello\n\n") == ["hello"]


def test_data_without_the_space():
    assert parse(b"data:hello\n\n") == ["hello"]


def test_only_one_leading_space_is_removed():
    assert parse(b"data:  two\n\n") == [" two"]


def test_multi_line_data_is_joined_with_newlines():
    assert parse(b"data: one\ndata: two\n\n") == ["one\ntwo"]


def test_comments_are_skipped():
    assert parse(b": keep-alive\n\ndata: x\n\n") == ["x"]


def test_other_fields_are_skipped():
    assert parse(b"event: delta\nid: 7\nretry: 10\ndata: x\n\n") == ["x"]


def test_crlf_line_endings():
    assert parse(b"data: a\r\n\r\ndata: b\r\n\r\n") == ["a", "b"]


def test_cr_line_endings():
    assert parse(b"data: a\r\rdata: b\r\r") == ["a", "b"]


def test_crlf_split_between_reads_is_one_line_end():
    assert parse(b"data: a\r", b"\ndata: b\r\n\r\n") == ["a\nb"]


def test_field_without_colon_is_an_empty_data_line():
    assert parse(b"data\ndata: x\n\n") == ["\nx"]


def test_blank_lines_without_data_yield_nothing():
    assert parse(b"\n\n\ndata: x\n\n") == ["x"]


def test_unfinished_event_at_the_end_is_dropped():
    assert parse(b"data: a\n\ndata: b\n") == ["a"]


def test_done_marker_is_passed_through():
    assert parse(b"data: {}\n\ndata: [DONE]\n\n") == ["{}", "[DONE]"]


def test_malformed_json_is_passed_through():
    assert parse(b"data: {not json\n\n") == ["{not json"]


def test_leading_byte_order_mark_is_ignored():
    assert parse("\ufeffdata: x\n\n".encode()) == ["x"]


def test_multibyte_character_split_between_reads():
    encoded = "data: héllo\n\n".encode()
    assert parse(encoded[:8], encoded[8:]) == ["héllo"]


STREAM = (
    b': comment\r\ndata: {"a": 1}\n\ndata: line one\r\ndata:line two\r\n\r\n'
    b"event: x\rdata: \xc3\xa9t\xc3\xa9\r\rdata: [DONE]\n\n"
)


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_read_boundaries_do_not_change_the_events(cuts):
    bounds = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[a:b] for a, b in itertools.pairwise(bounds)]
    assert parse(*chunks) == ['{"a": 1}', "line one\nline two", "été", "[DONE]"]
