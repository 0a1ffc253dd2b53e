"""HttpClientMixin against the real fake upstream: auth, JSON, retries, streaming."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from modelmesh.clock import ManualClock
from modelmesh_cdk.mixins.http_client import HttpClientMixin
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error, reset, stall, stream

T = TypeVar("T")
CHAT = "/v1/chat/completions"
QUESTION = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}


class Connector(HttpClientMixin):
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        max_retries: int = 3,
        headers: dict[str, str] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._clock = ManualClock()
        self._http_auth_token = token
        self._init_http_client(base_url, timeout, max_retries, headers)


def use(upstream: FakeUpstream, body: Callable[[Connector], Awaitable[T]], **options: Any) -> T:
    """Run ``body`` with a connector pointed at the upstream, then close it."""

    async def main() -> T:
        connector = Connector(upstream.url, **options)
        try:
            return await body(connector)
        finally:
            await connector._close_http_client()

    return asyncio.run(main())


def post(connector: Connector) -> Awaitable[Any]:
    return connector._http_post(CHAT, json=QUESTION)


async def collect(connector: Connector) -> list[str]:
    return [data async for data in connector._http_stream(CHAT, json={**QUESTION, "stream": True})]


def test_bearer_token_is_sent(upstream):
    use(upstream, post, token="sk-test")
    assert upstream.requests[0].headers["authorization"] == "Bearer sk-test"


def test_no_token_sends_no_authorization(upstream):
    use(upstream, post)
    assert "authorization" not in upstream.requests[0].headers


def test_token_set_after_init_is_used(upstream):
    async def rotate(connector: Connector) -> None:
        connector._http_auth_token = "sk-new"
        await post(connector)

    use(upstream, rotate, token="sk-old")
    assert upstream.requests[0].headers["authorization"] == "Bearer sk-new"


def test_default_headers_are_sent(upstream):
    use(upstream, post, headers={"OpenAI-Organization": "org-1"})
    assert upstream.requests[0].headers["openai-organization"] == "org-1"


def test_request_headers_merge_with_default_headers(upstream):
    async def send(connector: Connector) -> Any:
        return await connector._http_post(CHAT, json=QUESTION, headers={"X-Call": "2"})

    use(upstream, send, headers={"X-Default": "1"})
    headers = upstream.requests[0].headers
    assert (headers["x-default"], headers["x-call"]) == ("1", "2")


def test_post_sends_json_and_returns_parsed_json(upstream):
    body = use(upstream, post)
    assert upstream.requests[0].body == QUESTION
    assert body["choices"][0]["message"]["content"] == "Hello from the fake upstream"


def test_get_returns_parsed_json(upstream):
    body = use(upstream, lambda c: c._http_get("/v1/models"))
    assert [m["id"] for m in body["data"]] == ["fake-model", "other-model"]


def test_base_url_trailing_slash_is_ignored(upstream):
    async def get(connector: Connector) -> Any:
        return await connector._http_get("/v1/models")

    async def main() -> Any:
        connector = Connector(upstream.url + "/")
        try:
            return await get(connector)
        finally:
            await connector._close_http_client()

    asyncio.run(main())
    assert upstream.requests[0].path == "/v1/models"


def test_429_is_retried_after_the_retry_after_delay(upstream):
    upstream.script(error(429, retry_after=2))

    async def call(connector: Connector) -> list[float]:
        await post(connector)
        return connector._clock.sleeps

    assert use(upstream, call) == [2.0]
    assert len(upstream.requests) == 2


def test_retry_after_http_date_is_measured_on_the_clock(upstream):
    upstream.script(error(503, retry_after="Thu, 01 Jan 2026 00:00:05 GMT"))

    async def call(connector: Connector) -> list[float]:
        await post(connector)
        return connector._clock.sleeps

    assert use(upstream, call) == [5.0]


def test_retry_after_beyond_the_cap_is_not_waited_for(upstream):
    upstream.script(error(429, retry_after=3600))
    with pytest.raises(httpx.HTTPStatusError):
        use(upstream, post)
    assert len(upstream.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(upstream, status):
    upstream.script(error(status))
    body = use(upstream, post)
    assert body["object"] == "chat.completion"
    assert len(upstream.requests) == 2


def test_backoff_doubles_with_jitter_below_half_a_second(upstream):
    upstream.script(error(500), error(500), error(500))

    async def call(connector: Connector) -> list[float]:
        await post(connector)
        return connector._clock.sleeps

    sleeps = use(upstream, call)
    assert [int(s) for s in sleeps] == [1, 2, 4]
    assert all(0 <= s - int(s) < 0.5 for s in sleeps)


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(upstream, status):
    upstream.script(error(status))
    with pytest.raises(httpx.HTTPStatusError):
        use(upstream, post)
    assert len(upstream.requests) == 1


def test_exhausted_retries_raise_with_the_last_response(upstream):
    upstream.script(error(500), error(502), error(503, "last one"))
    with pytest.raises(httpx.HTTPStatusError) as caught:
        use(upstream, post, max_retries=2)
    assert caught.value.response.status_code == 503
    assert caught.value.response.json()["error"]["message"] == "last one"


def test_max_retries_zero_makes_exactly_one_call(upstream):
    upstream.script(error(503))
    with pytest.raises(httpx.HTTPStatusError):
        use(upstream, post, max_retries=0)
    assert len(upstream.requests) == 1


def test_negative_max_retries_is_refused(upstream):
    with pytest.raises(ValueError, match="max_retries"):
        Connector(upstream.url, max_retries=-1)


def test_reset_connection_is_retried(upstream):
    upstream.script(reset())
    body = use(upstream, post)
    assert body["object"] == "chat.completion"
    assert len(upstream.requests) == 2


def test_reset_connection_raises_a_transport_error_when_retries_run_out(upstream):
    upstream.script(reset(), reset())
    with pytest.raises(httpx.TransportError):
        use(upstream, post, max_retries=1)
    assert len(upstream.requests) == 2


def test_refused_connection_raises_a_transport_error():
    with FakeUpstream() as gone:
        url = gone.url

    async def main() -> None:
        connector = Connector(url, max_retries=1)
        try:
            await post(connector)
        finally:
            await connector._close_http_client()

    with pytest.raises(httpx.TransportError):
        asyncio.run(main())


def test_stream_yields_every_data_payload_then_done(upstream):
    upstream.script(stream(["a", "b"]))
    payloads = use(upstream, collect)
    assert len(payloads) == 4
    assert payloads[-1] == "[DONE]"


def test_stream_delivers_each_payload_before_the_next_arrives(upstream):
    upstream.script(stream(["first", "second"], gap=0.2))

    async def first_payload_then_stop(connector: Connector) -> tuple[str, float]:
        stream_ = connector._http_stream(CHAT, json=QUESTION)
        first = await anext(stream_)
        received_at = asyncio.get_running_loop().time()
        await stream_.aclose()
        return first, received_at

    async def main() -> tuple[str, float, float]:
        connector = Connector(upstream.url)
        try:
            started = asyncio.get_running_loop().time()
            first, received_at = await first_payload_then_stop(connector)
            return first, started, received_at
        finally:
            await connector._close_http_client()

    first, started, received_at = asyncio.run(main())
    assert '"first"' in first
    assert received_at - started < 0.2


def test_stream_passes_malformed_payloads_through(upstream):
    upstream.script(stream(["a", "b"], malformed_at=1))
    assert use(upstream, collect)[1] == "{not json"


def test_stream_error_status_raises_with_the_body_read(upstream):
    upstream.script(error(400, "bad request"))
    with pytest.raises(httpx.HTTPStatusError) as caught:
        use(upstream, collect)
    assert caught.value.response.json()["error"]["message"] == "bad request"


def test_stream_opening_is_retried(upstream):
    upstream.script(error(429, retry_after=1))
    assert use(upstream, collect)[-1] == "[DONE]"
    assert len(upstream.requests) == 2


def test_open_stream_shows_headers_before_the_body(upstream):
    upstream.script(stream(headers={"x-ratelimit-remaining-requests": "7"}))

    async def open_(connector: Connector) -> str:
        async with connector._http_open_stream("POST", CHAT, json=QUESTION) as response:
            return response.headers["x-ratelimit-remaining-requests"]

    assert use(upstream, open_) == "7"


def test_stream_cut_mid_way_raises_a_transport_error(upstream):
    upstream.script(stream(["a", "b", "c"], cut_after=1))
    with pytest.raises(httpx.TransportError):
        use(upstream, collect)


def test_close_releases_the_client(upstream):
    async def close(connector: Connector) -> Any:
        await connector._close_http_client()
        return connector._http_client

    assert use(upstream, close) is None


def test_request_after_close_says_what_to_do(upstream):
    async def after_close(connector: Connector) -> Any:
        await connector._close_http_client()
        return await post(connector)

    with pytest.raises(RuntimeError, match="_init_http_client"):
        use(upstream, after_close)


def test_injected_transport_replaces_the_network():
    async def main() -> Any:
        connector = HttpClientMixin()
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": 1}))
        connector._init_http_client("http://example.invalid", transport=transport)
        try:
            return await connector._http_get("/anything")
        finally:
            await connector._close_http_client()

    assert asyncio.run(main()) == {"ok": 1}


def test_silent_upstream_times_out_after_the_timeout(upstream):
    upstream.script(stall())
    with pytest.raises(httpx.ReadTimeout):
        use(upstream, post, timeout=0.1, max_retries=0)


def test_timeout_is_retried(upstream):
    upstream.script(stall())
    body = use(upstream, post, timeout=0.1)
    assert body["object"] == "chat.completion"
    assert len(upstream.requests) == 2


def test_token_rotated_between_attempts_is_used_by_the_retry(upstream):
    upstream.script(error(503))

    class Rotating(ManualClock):
        def __init__(self, connector: Connector) -> None:
            super().__init__()
            self.connector = connector

        async def sleep(self, seconds: float) -> None:
            self.connector._http_auth_token = "sk-new"
            await super().sleep(seconds)

    async def call(connector: Connector) -> None:
        connector._clock = Rotating(connector)
        await post(connector)

    use(upstream, call, token="sk-old")
    assert [r.headers["authorization"] for r in upstream.requests] == [
        "Bearer sk-old",
        "Bearer sk-new",
    ]
