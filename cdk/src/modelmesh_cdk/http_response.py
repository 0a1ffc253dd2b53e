"""The response the HTTP client mixin returns, the same whichever way it was sent.

A small type of our own rather than ``httpx.Response``: building one of those costs more
than the rest of a small call, so an ``httpx.Response`` is made only when a call fails
and ``raise_for_status`` needs one for ``httpx.HTTPStatusError``.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import httpx

__all__ = ["NOT_READ", "STREAMED", "ByteSource", "HttpResponse"]


class ByteSource(Protocol):
    """A response body still to be read: its chunks as they arrive, and closing."""

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


# What ``content`` holds of a streamed body before it is read, and once it was iterated
# (a body arrives once).
NOT_READ = object()
STREAMED = object()


class HttpResponse:
    """A response from the mixin: status, headers, and the body read or still to come.

    ``headers`` is a case-insensitive mapping (a multidict, or httpx's under an injected
    transport). ``_http_request`` returns it with ``content`` read; ``_http_open_stream``
    hands it over unread, to be consumed with ``aiter_bytes()``.
    """

    __slots__ = (
        "_content",
        "_httpx",
        "_method",
        "_source",
        "_url",
        "headers",
        "reason_phrase",
        "status_code",
    )

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        content: Any,
        *,
        source: ByteSource | None = None,
        method: str = "GET",
        url: Any = "",
        reason_phrase: str | None = None,
        httpx_response: httpx.Response | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.reason_phrase = reason_phrase
        self._content = content
        self._source = source
        self._method = method
        self._url = url
        self._httpx = httpx_response

    def __repr__(self) -> str:
        return f"<HttpResponse [{self.status_code}]>"

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def content(self) -> bytes:
        """The body; a streamed response must be read first (``aread``)."""
        content = self._content
        if content is NOT_READ or content is STREAMED:
            raise httpx.ResponseNotRead()
        return content  # type: ignore[no-any-return]

    @property
    def text(self) -> str:
        """The body decoded with the charset the Content-Type names, UTF-8 otherwise."""
        charset = "utf-8"
        for parameter in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip("\"' ")
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self, **kwargs: Any) -> Any:
        content = self.content
        try:  # UTF-8, as JSON over a network is; json.loads detects anything else
            text: str | bytes = content.decode()
        except UnicodeDecodeError:
            text = content
        return jsonlib.loads(text, **kwargs)

    async def aread(self) -> bytes:
        """Read the rest of a streamed body (and keep it in ``content``)."""
        if self._content is NOT_READ:
            self._content = b"".join([chunk async for chunk in self.aiter_bytes()])
        return self.content

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body's chunks, each as soon as it arrives. Failures while reading are
        httpx.TransportError subclasses (a cut is RemoteProtocolError, silence for
        longer than the timeout ReadTimeout)."""
        content = self._content
        if content is STREAMED:
            raise httpx.StreamConsumed()
        if content is not NOT_READ or self._source is None:
            if self.content:
                yield self.content
            return
        self._content = STREAMED  # a body arrives once
        async for chunk in self._source.chunks():
            yield chunk

    async def aclose(self) -> None:
        """Give the connection back (or drop it, when the body was not read to its end)."""
        source, self._source = self._source, None
        if source is not None:
            await source.aclose()

    def raise_for_status(self) -> HttpResponse:
        """``self`` for a 2xx; otherwise raise httpx.HTTPStatusError, whose ``response``
        is an ``httpx.Response`` with this body and ``request`` the request sent."""
        if self.is_success:
            return self
        response = self._httpx
        if response is None:
            extensions = (
                {"reason_phrase": self.reason_phrase.encode()} if self.reason_phrase else None
            )
            response = httpx.Response(
                self.status_code,
                # The body is already decoded: a Content-Encoding would make httpx decode it again.
                headers=[
                    (k, v) for k, v in self.headers.items() if k.lower() != "content-encoding"
                ],
                content=self.content,
                request=httpx.Request(self._method, str(self._url)),
                extensions=extensions,
            )
        response.raise_for_status()
        raise AssertionError("unreachable: a non-2xx response raised above")
