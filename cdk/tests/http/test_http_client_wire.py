"""HttpClientMixin on the wire: bodies, queries, headers, redirects, proxies and the
precise httpx error for each failure, on the default path (the CDK's HTTP/1.1 client;
aiohttp for proxied URLs) and with an injected httpx transport."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import pytest
from aiohttp import web

from modelmesh.clock import ManualClock
from modelmesh_cdk.mixins.http_client import HttpClientMixin, HttpResponse
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error, ok, reset, stall, stream

T = TypeVar("T")
CHAT = "/v1/chat/completions"
QUESTION = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}


class Client(HttpClientMixin):
    def __init__(
        self,
        base_url: str,
        *,
        max_retries: int = 0,
        timeout: float | None = 5.0,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._clock = ManualClock()
        self._http_auth_token = token
        self._init_http_client(base_url, timeout, max_retries, headers, transport=transport)


def run(url: str, body: Callable[[Client], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        client = Client(url, **options)
        try:
            return await body(client)
        finally:
            await client._close_http_client()

    return asyncio.run(main())


def post_to_unknown_route(**kwargs: Any) -> Callable[[Client], Awaitable[None]]:
    """A POST the fake upstream records and answers 404 to (it knows no such route)."""

    async def send(client: Client) -> None:
        with pytest.raises(httpx.HTTPStatusError):
            await client._http_request("POST", "/v1/unknown", **kwargs)

    return send


async def collect(client: Client) -> list[str]:
    return [data async for data in client._http_stream(CHAT, json={**QUESTION, "stream": True})]


# --- request bodies, queries and headers ---------------------------------------------


def test_json_body_is_compact_utf8_with_a_json_content_type(upstream):
    run(upstream.url, lambda c: c._http_post(CHAT, json={**QUESTION, "note": "café"}))
    sent = upstream.requests[0]
    assert sent.body == {**QUESTION, "note": "café"}
    assert sent.headers["content-type"] == "application/json"


def test_form_data_is_url_encoded(upstream):
    form = {"text": "a b&c", "flag": True, "empty": None, "many": ["1", "2"]}
    run(upstream.url, post_to_unknown_route(data=form))
    sent = upstream.requests[0]
    assert sent.body == b"text=a+b%26c&flag=true&empty=&many=1&many=2"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize("content", [b"raw \x00 bytes", "raw text \u00e9"])
def test_raw_content_is_sent_as_given_without_a_content_type(upstream, content):
    run(upstream.url, post_to_unknown_route(content=content))
    sent = upstream.requests[0]
    assert sent.body == (content.encode() if isinstance(content, str) else content)
    assert "content-type" not in sent.headers


def test_a_configured_content_type_is_kept(upstream):
    run(upstream.url, post_to_unknown_route(content=b"x=1"), headers={"Content-Type": "text/plain"})
    assert upstream.requests[0].headers["content-type"] == "text/plain"


def test_params_are_added_to_the_query(upstream):
    params = {"pageToken": "a b", "n": 3, "on": False, "tag": ["x", "y"]}
    run(upstream.url, lambda c: c._http_get("/v1/models", params=params))
    assert upstream.requests[0].query == "pageToken=a+b&n=3&on=false&tag=x&tag=y"


def test_params_extend_a_query_already_in_the_path(upstream):
    run(upstream.url, lambda c: c._http_get("/v1/models?alt=sse", params={"page": "2"}))
    sent = upstream.requests[0]
    assert (sent.path, sent.query) == ("/v1/models", "alt=sse&page=2")


def test_an_absolute_url_is_used_as_is(upstream):
    run("", lambda c: c._http_get(upstream.url + "/v1/models"))
    assert upstream.requests[0].path == "/v1/models"


def test_base_url_path_is_kept_before_the_request_path(upstream):
    run(upstream.url + "/v1/", lambda c: c._http_get("models"))
    assert upstream.requests[0].path == "/v1/models"


def test_request_headers_override_default_headers_case_insensitively(upstream):
    run(
        upstream.url,
        lambda c: c._http_post(CHAT, json=QUESTION, headers={"x-team": "blue"}),
        headers={"X-Team": "red", "X-Other": "1"},
    )
    headers = upstream.requests[0].headers
    assert (headers["x-team"], headers["x-other"]) == ("blue", "1")


def test_an_explicit_authorization_header_wins_over_the_token(upstream):
    run(
        upstream.url,
        lambda c: c._http_post(CHAT, json=QUESTION, headers={"Authorization": "Basic abc"}),
        token="sk-token",
    )
    assert upstream.requests[0].headers["authorization"] == "Basic abc"


def test_a_default_authorization_header_wins_over_the_token(upstream):
    run(
        upstream.url,
        lambda c: c._http_post(CHAT, json=QUESTION),
        token="sk-token",
        headers={"Authorization": "Bearer sk-configured"},
    )
    assert upstream.requests[0].headers["authorization"] == "Bearer sk-configured"


def test_the_token_joins_request_headers(upstream):
    run(
        upstream.url,
        lambda c: c._http_post(CHAT, json=QUESTION, headers={"X-Call": "1"}),
        token="sk-token",
    )
    headers = upstream.requests[0].headers
    assert (headers["authorization"], headers["x-call"]) == ("Bearer sk-token", "1")


def test_each_request_reads_the_current_token(upstream):
    async def two_calls(client: Client) -> None:
        await client._http_post(CHAT, json=QUESTION)
        client._http_auth_token = "sk-2"
        await client._http_post(CHAT, json=QUESTION)
        client._http_auth_token = None
        await client._http_post(CHAT, json=QUESTION)

    run(upstream.url, two_calls, token="sk-1")
    sent = [r.headers.get("authorization") for r in upstream.requests]
    assert sent == ["Bearer sk-1", "Bearer sk-2", None]


def test_every_request_names_its_client_and_the_encodings_it_reads(upstream):
    run(upstream.url, lambda c: c._http_get("/v1/models"))
    headers = upstream.requests[0].headers
    assert headers["user-agent"].startswith("modelmesh-cdk/")
    assert (headers["accept"], headers["accept-encoding"]) == ("*/*", "gzip, deflate")
    assert headers["host"] == upstream.url.removeprefix("http://")


def test_default_headers_replace_the_automatic_ones(upstream):
    run(upstream.url, lambda c: c._http_get("/v1/models"), headers={"user-agent": "mine/1"})
    assert upstream.requests[0].headers["user-agent"] == "mine/1"


def test_a_host_header_of_the_callers_own_is_sent_instead(upstream):
    run(upstream.url, lambda c: c._http_get("/v1/models", headers={"Host": "api.example.com"}))
    assert upstream.requests[0].headers["host"] == "api.example.com"


def test_a_post_without_a_body_says_its_length_is_zero(upstream):
    run(upstream.url, post_to_unknown_route())
    assert upstream.requests[0].headers["content-length"] == "0"


@pytest.mark.parametrize("where", ["token", "request", "default"])
def test_a_header_with_a_line_break_is_refused_without_showing_its_value(upstream, where):
    secret = "sk-secret\r\nX-Injected: 1"
    options: dict[str, Any] = {"token": secret} if where == "token" else {}
    if where == "default":
        options["headers"] = {"X-Key": secret}
    extra = {"headers": {"X-Key": secret}} if where == "request" else {}
    with pytest.raises(ValueError, match="line break") as caught:
        run(upstream.url, lambda c: c._http_post(CHAT, json=QUESTION, **extra), **options)
    assert "sk-secret" not in str(caught.value)
    assert upstream.requests == []


def test_a_request_after_closing_is_refused(upstream):
    async def after_close(client: Client) -> None:
        sender = client._http_client
        await client._http_get("/v1/models")
        await sender.aclose()  # type: ignore[union-attr]
        with pytest.raises(RuntimeError, match="closed"):
            await sender.send("GET", "/v1/models", None, False)  # type: ignore[union-attr]

    run(upstream.url, after_close)


# --- responses -------------------------------------------------------------------------


def test_response_carries_status_headers_and_body(upstream):
    upstream.script(ok(headers={"X-Trace": "trace-1"}))
    response = run(upstream.url, lambda c: c._http_request("POST", CHAT, json=QUESTION))
    assert isinstance(response, HttpResponse)
    assert (response.status_code, response.is_success) == (200, True)
    assert response.headers["x-trace"] == response.headers["X-TRACE"] == "trace-1"
    assert json.loads(response.content) == response.json() == json.loads(response.text)
    assert response.json()["object"] == "chat.completion"


def test_error_response_is_an_httpx_response_with_its_request(upstream):
    upstream.script(error(404, "no such model", headers={"X-Trace": "trace-9"}))
    with pytest.raises(httpx.HTTPStatusError) as caught:
        run(upstream.url, lambda c: c._http_post(CHAT, json=QUESTION))
    response = caught.value.response
    assert isinstance(response, httpx.Response)
    assert response.status_code == 404
    assert response.headers["x-trace"] == "trace-9"
    assert response.json()["error"]["message"] == "no such model"
    assert caught.value.request.method == "POST"
    assert str(caught.value.request.url) == upstream.url + CHAT


def test_redirects_are_not_followed(upstream):
    upstream.script(error(302, headers={"Location": "/v1/models"}))
    with pytest.raises(httpx.HTTPStatusError) as caught:
        run(upstream.url, lambda c: c._http_get("/v1/old"))
    assert caught.value.response.status_code == 302
    assert [r.path for r in upstream.requests] == ["/v1/old"]


def test_open_stream_yields_chunks_as_they_arrive(upstream):
    upstream.script(stream(["one", "two"], gap=0.3))

    async def first_chunk(client: Client) -> tuple[bytes, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        body = {**QUESTION, "stream": True}
        async with client._http_open_stream("POST", CHAT, json=body) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            chunk = await anext(aiter(response.aiter_bytes()))
            return chunk, loop.time() - started

    chunk, waited = run(upstream.url, first_chunk)
    assert b'"one"' in chunk
    assert b'"two"' not in chunk
    assert waited < 0.3


def test_a_stream_left_half_read_is_closed_cleanly(upstream):
    upstream.script(stream(["a", "b", "c"], gap=0.05))

    async def twice(client: Client) -> list[str]:
        body = {**QUESTION, "stream": True}
        async with client._http_open_stream("POST", CHAT, json=body) as response:
            await anext(aiter(response.aiter_bytes()))
        return await collect(client)  # the pool still works

    assert run(upstream.url, twice)[-1] == "[DONE]"


# --- precise errors ------------------------------------------------------------------


def test_refused_connection_is_a_connect_error():
    with FakeUpstream() as gone:
        url = gone.url
    with pytest.raises(httpx.ConnectError):
        run(url, lambda c: c._http_get("/v1/models"))


def test_dropped_connection_is_a_transport_error_not_a_timeout(upstream):
    upstream.script(reset())
    with pytest.raises(httpx.TransportError) as caught:
        run(upstream.url, lambda c: c._http_post(CHAT, json=QUESTION))
    assert isinstance(caught.value, httpx.RemoteProtocolError | httpx.ReadError)


def test_silence_is_a_read_timeout(upstream):
    upstream.script(stall())
    with pytest.raises(httpx.ReadTimeout) as caught:
        run(upstream.url, lambda c: c._http_post(CHAT, json=QUESTION), timeout=0.1)
    assert isinstance(caught.value.__cause__, TimeoutError)


def test_a_per_request_timeout_replaces_the_client_one(upstream):
    upstream.script(stall())
    with pytest.raises(httpx.ReadTimeout):
        run(upstream.url, lambda c: c._http_post(CHAT, json=QUESTION, timeout=0.1), timeout=30)


def test_a_slow_connect_is_a_connect_timeout():
    # A listening socket whose accept queue is full leaves new connections unanswered.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            with pytest.raises(httpx.ConnectTimeout):
                run(f"http://127.0.0.1:{port}", lambda c: c._http_get("/"), timeout=0.2)
        finally:
            for filler in fillers:
                filler.close()


def test_stream_cut_mid_way_is_a_protocol_error(upstream):
    upstream.script(stream(["a", "b", "c"], cut_after=1))
    with pytest.raises(httpx.RemoteProtocolError):
        run(upstream.url, collect)


def test_stream_stalled_mid_way_is_a_read_timeout(upstream):
    upstream.script(stream(["a", "b", "c"], stall_after=1))
    with pytest.raises(httpx.ReadTimeout):
        run(upstream.url, collect, timeout=0.2)


def test_unsupported_scheme_is_refused_as_httpx_does():
    with pytest.raises(httpx.UnsupportedProtocol):
        run("ftp://127.0.0.1:1", lambda c: c._http_get("/x"))


# --- lifecycle -----------------------------------------------------------------------


def test_closing_twice_and_closing_unused_are_harmless(upstream):
    async def main() -> None:
        unused = Client(upstream.url)
        await unused._close_http_client()
        used = Client(upstream.url)
        await used._http_get("/v1/models")
        await used._close_http_client()
        await used._close_http_client()

    asyncio.run(main())


def test_the_proxy_environment_is_honoured(upstream, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", upstream.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(httpx.HTTPStatusError):  # the fake upstream knows no such route
        run("http://api.example.invalid", lambda c: c._http_get("/v1/models"))
    assert upstream.requests[0].path == "http://api.example.invalid/v1/models"


def test_no_proxy_exempts_a_host(upstream, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    body = run(upstream.url, lambda c: c._http_get("/v1/models"))
    assert body["data"]


# --- compressed bodies, from a tiny aiohttp server -------------------------------------


@asynccontextmanager
async def serving(routes: dict[str, web.Response]) -> AsyncIterator[str]:
    app = web.Application()
    for path, response in routes.items():

        async def handler(_request: web.Request, response: web.Response = response) -> Any:
            return response

        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def zipped(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status,
        body=gzip.compress(json.dumps(body).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )


def test_compressed_answers_and_error_bodies_are_readable():
    async def main() -> tuple[Any, httpx.Response]:
        routes = {
            "/ok": zipped(200, {"answer": 42}),
            "/bad": zipped(400, {"error": {"message": "zipped"}}),
        }
        async with serving(routes) as url:
            client = Client(url)
            try:
                answer = await client._http_get("/ok")
                with pytest.raises(httpx.HTTPStatusError) as caught:
                    await client._http_get("/bad")
                return answer, caught.value.response
            finally:
                await client._close_http_client()

    answer, failed = asyncio.run(main())
    assert answer == {"answer": 42}
    assert failed.json() == {"error": {"message": "zipped"}}


# --- an injected httpx transport -------------------------------------------------------


def test_injected_transport_gets_the_same_requests_and_gives_the_same_response_type():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True}, headers={"X-Id": "1"})

    response = run(
        "http://upstream.test/api",
        lambda c: c._http_request("POST", "/v1/x", json={"a": 1}, params={"p": "1"}),
        token="sk-mock",
        headers={"X-Default": "d"},
        transport=httpx.MockTransport(answer),
    )
    assert isinstance(response, HttpResponse)
    assert (response.status_code, response.json(), response.headers["x-id"]) == (
        200,
        {"ok": True},
        "1",
    )
    request = seen[0]
    assert str(request.url) == "http://upstream.test/api/v1/x?p=1"
    assert request.headers["authorization"] == "Bearer sk-mock"
    assert request.headers["x-default"] == "d"
    assert json.loads(request.content) == {"a": 1}


def test_injected_transport_is_retried_and_raises_like_the_default_path():
    statuses = iter([503, 429, 400])

    def answer(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        return httpx.Response(status, json={"error": {"message": f"status {status}"}})

    async def call(client: Client) -> tuple[Any, list[float]]:
        with pytest.raises(httpx.HTTPStatusError) as caught:
            await client._http_get("/v1/models")
        return caught.value.response, client._clock.sleeps

    response, sleeps = run(
        "http://upstream.test", call, max_retries=3, transport=httpx.MockTransport(answer)
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "status 400"
    assert len(sleeps) == 2


def test_injected_transport_streams_through_the_same_sse_reader():
    frames = b'data: {"n": 1}\n\ndata: [DONE]\n\n'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=frames))
    payloads = run("http://upstream.test", collect, transport=transport)
    assert payloads == ['{"n": 1}', "[DONE]"]
