"""The fake upstream answers like OpenAI and fails exactly as scripted, on a real socket."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from modelmesh_cdk.testing.fake_upstream import (
    FakeUpstream,
    content_filtered,
    context_length_exceeded,
    error,
    ok,
    reset,
    stall,
    stream,
)

CHAT = "/v1/chat/completions"
QUESTION = {"model": "gpt-x", "messages": [{"role": "user", "content": "two words"}]}


def sse_payloads(body: str) -> list[str]:
    return [line[len("data: ") :] for line in body.split("\n") if line.startswith("data: ")]


def read_lines_into(client: httpx.Client, received: list[str]) -> None:
    with client.stream("POST", CHAT, json={**QUESTION, "stream": True}) as response:
        received.extend(response.iter_lines())


def post_stream(client: httpx.Client, **body: object) -> list[str]:
    with client.stream("POST", CHAT, json={**QUESTION, "stream": True, **body}) as response:
        return sse_payloads(response.read().decode())


@pytest.fixture
def client(upstream: FakeUpstream):
    with httpx.Client(base_url=upstream.url, timeout=5) as c:
        yield c


def test_url_is_loopback_without_v1(upstream):
    assert upstream.url.startswith("http://127.0.0.1:")
    assert not upstream.url.endswith("/v1")


def test_chat_completion_answers_with_the_requested_model(client):
    body = client.post(CHAT, json=QUESTION).json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "gpt-x"


def test_chat_completion_message_and_finish_reason(client):
    choice = client.post(CHAT, json=QUESTION).json()["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Hello from the fake upstream"}
    assert choice["finish_reason"] == "stop"


def test_chat_completion_usage_counts_words(client):
    usage = client.post(CHAT, json=QUESTION).json()["usage"]
    assert usage == {"prompt_tokens": 2, "completion_tokens": 5, "total_tokens": 7}


def test_ok_content_usage_and_headers_are_used(upstream, client):
    upstream.script(ok("custom", usage={"prompt_tokens": 9}, headers={"x-extra": "1"}))
    response = client.post(CHAT, json=QUESTION)
    assert response.json()["choices"][0]["message"]["content"] == "custom"
    assert response.json()["usage"] == {"prompt_tokens": 9}
    assert response.headers["x-extra"] == "1"


def test_stream_request_gets_sse_of_the_content_in_word_chunks(client):
    payloads = post_stream(client)
    deltas = [json.loads(p)["choices"][0]["delta"].get("content") for p in payloads[:-2]]
    assert "".join(deltas) == "Hello from the fake upstream"
    assert payloads[-1] == "[DONE]"


def test_stream_first_delta_carries_the_role(client):
    first = json.loads(post_stream(client)[0])
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"]["role"] == "assistant"


def test_stream_final_chunk_has_finish_reason_and_usage(client):
    final = json.loads(post_stream(client)[-2])
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["usage"]["completion_tokens"] == 5


def test_stream_response_is_event_stream(client):
    with client.stream("POST", CHAT, json={**QUESTION, "stream": True}) as response:
        assert response.headers["content-type"] == "text/event-stream"


def test_scripted_stream_sends_one_frame_per_chunk(upstream, client):
    upstream.script(stream(["a", "b", "c"]))
    payloads = post_stream(client)
    assert [json.loads(p)["choices"][0]["delta"]["content"] for p in payloads[:3]] == [
        "a",
        "b",
        "c",
    ]
    assert len(payloads) == 5


def test_stream_without_done(upstream, client):
    upstream.script(stream(done=False))
    assert "[DONE]" not in post_stream(client)


def test_stream_malformed_chunk_is_invalid_json(upstream, client):
    upstream.script(stream(["a", "b"], malformed_at=1))
    payloads = post_stream(client)
    json.loads(payloads[0])
    with pytest.raises(json.JSONDecodeError):
        json.loads(payloads[1])


def test_stream_cut_closes_mid_stream_without_done(upstream, client):
    upstream.script(stream(["a", "b", "c"], cut_after=2))
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        read_lines_into(client, received)
    assert len(sse_payloads("\n".join(received))) == 2


def test_stream_stall_after_sends_frames_then_nothing(upstream):
    upstream.script(stream(["a", "b", "c"], stall_after=1))
    received: list[str] = []
    with (
        httpx.Client(base_url=upstream.url, timeout=0.2) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        read_lines_into(client, received)
    assert len(sse_payloads("\n".join(received))) == 1


def test_stream_first_token_delay_comes_after_the_headers(upstream):
    upstream.script(stream(first_token_delay=0.15))
    with httpx.Client(base_url=upstream.url, timeout=5) as client:
        start = time.monotonic()
        with client.stream("POST", CHAT, json=QUESTION) as response:
            headers_at = time.monotonic()
            next(response.iter_bytes())
            first_at = time.monotonic()
    assert headers_at - start < 0.1
    assert first_at - start >= 0.15


def test_stream_gap_separates_chunks(upstream, client):
    upstream.script(stream(["a", "b", "c"], gap=0.05))
    start = time.monotonic()
    post_stream(client)
    assert time.monotonic() - start >= 0.1


def test_delay_holds_back_the_headers(upstream, client):
    upstream.script(ok(delay=0.1))
    start = time.monotonic()
    client.post(CHAT, json=QUESTION)
    assert time.monotonic() - start >= 0.1


def test_error_status_and_openai_body(upstream, client):
    upstream.script(error(503, "down"))
    response = client.post(CHAT, json=QUESTION)
    assert response.status_code == 503
    assert response.json()["error"]["message"] == "down"
    assert response.json()["error"]["type"] == "server_error"


def test_error_without_retry_after_has_no_header(upstream, client):
    upstream.script(error(429))
    assert "retry-after" not in client.post(CHAT, json=QUESTION).headers


def test_error_with_retry_after_sets_the_header(upstream, client):
    upstream.script(error(429, retry_after=2))
    assert client.post(CHAT, json=QUESTION).headers["retry-after"] == "2"


def test_error_retry_after_may_be_an_http_date(upstream, client):
    upstream.script(error(429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))
    assert client.post(CHAT, json=QUESTION).headers["retry-after"].startswith("Wed")


def test_context_length_exceeded_is_a_400_with_its_code(upstream, client):
    upstream.script(context_length_exceeded())
    response = client.post(CHAT, json=QUESTION)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "context_length_exceeded"


def test_content_filtered_is_a_400_with_its_code(upstream, client):
    upstream.script(content_filtered())
    response = client.post(CHAT, json=QUESTION)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "content_filter"


def test_reset_drops_the_connection_without_an_answer(upstream, client):
    upstream.script(reset())
    with pytest.raises(httpx.TransportError):
        client.post(CHAT, json=QUESTION)


def test_stall_never_answers(upstream):
    upstream.script(stall())
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(upstream.url + CHAT, json=QUESTION, timeout=0.1)


def test_embeddings_accept_a_string(client):
    body = client.post("/v1/embeddings", json={"model": "emb", "input": "hi"}).json()
    assert len(body["data"]) == 1
    assert len(body["data"][0]["embedding"]) == 8


def test_embeddings_accept_a_list_in_order(client):
    body = client.post("/v1/embeddings", json={"model": "emb", "input": ["a", "b"]}).json()
    assert [item["index"] for item in body["data"]] == [0, 1]
    assert body["data"][0]["embedding"] != body["data"][1]["embedding"]


def test_embeddings_are_deterministic(client):
    first = client.post("/v1/embeddings", json={"input": "same"}).json()["data"][0]
    second = client.post("/v1/embeddings", json={"input": "same"}).json()["data"][0]
    assert first["embedding"] == second["embedding"]


def test_models_lists_the_configured_models(client):
    body = client.get("/v1/models").json()
    assert [m["id"] for m in body["data"]] == ["fake-model", "other-model"]


def test_unknown_route_is_a_404(client):
    assert client.get("/v1/nothing").status_code == 404


def test_requests_are_recorded(upstream, client):
    before = time.monotonic()
    client.post(CHAT, json=QUESTION, headers={"X-Trace": "abc"})
    [recorded] = upstream.requests
    assert (recorded.method, recorded.path, recorded.body) == ("POST", CHAT, QUESTION)
    assert recorded.headers["x-trace"] == "abc"
    assert recorded.arrived_at >= before


def test_non_json_body_is_recorded_as_bytes(upstream, client):
    client.post(CHAT, content=b"not json")
    assert upstream.requests[0].body == b"not json"


def test_chunked_request_body_is_read(upstream, client):
    client.post(CHAT, content=iter([b'{"model":', b' "m"}']))
    assert upstream.requests[0].body == {"model": "m"}


def test_clear_forgets_requests_and_scripts(upstream, client):
    upstream.script(error(500))
    client.get("/v1/models")
    upstream.script(error(500))
    upstream.clear()
    assert upstream.requests == []
    assert client.post(CHAT, json=QUESTION).status_code == 200


def test_script_applies_in_order_then_ok(upstream, client):
    upstream.script(error(500), error(502))
    statuses = [client.post(CHAT, json=QUESTION).status_code for _ in range(3)]
    assert statuses == [500, 502, 200]


def test_script_for_a_path_leaves_other_paths_alone(upstream, client):
    upstream.script(error(500), path="/v1/embeddings")
    assert client.post(CHAT, json=QUESTION).status_code == 200
    assert client.post("/v1/embeddings", json={"input": "x"}).status_code == 500


def test_path_script_goes_before_any_path_script(upstream, client):
    upstream.script(error(502))
    upstream.script(error(500), path=CHAT)
    statuses = [client.post(CHAT, json=QUESTION).status_code for _ in range(3)]
    assert statuses == [500, 502, 200]


def test_repeat_answers_the_pattern_round_and_round(upstream, client):
    upstream.repeat(ok(), error(500), error(429, retry_after=1))
    responses = [client.post(CHAT, json=QUESTION) for _ in range(6)]
    assert [r.status_code for r in responses] == [200, 500, 429, 200, 500, 429]
    assert responses[2].headers["retry-after"] == "1"


def test_scripted_behaviours_go_before_the_pattern_which_then_resumes(upstream, client):
    upstream.repeat(error(500), ok())
    assert client.post(CHAT, json=QUESTION).status_code == 500
    upstream.script(error(503))
    statuses = [client.post(CHAT, json=QUESTION).status_code for _ in range(3)]
    assert statuses == [503, 200, 500]


def test_repeat_for_a_path_goes_before_the_any_path_pattern(upstream, client):
    upstream.repeat(error(502))
    upstream.repeat(error(500), path=CHAT)
    assert client.post(CHAT, json=QUESTION).status_code == 500
    assert client.get("/v1/models").status_code == 502


def test_repeat_without_behaviours_and_clear_end_the_pattern(upstream, client):
    upstream.repeat(error(500))
    upstream.repeat()
    assert client.post(CHAT, json=QUESTION).status_code == 200
    upstream.repeat(error(500), path=CHAT)
    upstream.clear()
    assert client.post(CHAT, json=QUESTION).status_code == 200


def test_connections_are_kept_alive(upstream, client):
    client.get("/v1/models")
    client.get("/v1/models")
    assert upstream.requests[1].headers["connection"] == "keep-alive"


def test_stop_closes_a_stalled_connection():
    upstream = FakeUpstream().start()
    upstream.script(stall())
    host, port = upstream.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
    deadline = time.monotonic() + 5
    while not upstream.requests and time.monotonic() < deadline:
        pass  # the request is on its way to the stall
    upstream.stop()
    sock.settimeout(1)
    assert sock.recv(1024) == b""
    sock.close()


def test_stop_frees_the_port():
    upstream = FakeUpstream().start()
    url = upstream.url
    upstream.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v1/models")


def test_async_context_manager_starts_and_stops():
    async def use() -> int:
        async with FakeUpstream() as up, httpx.AsyncClient(base_url=up.url) as client:
            return (await client.get("/v1/models")).status_code

    assert asyncio.run(use()) == 200


def test_command_line_serves_the_given_models_until_interrupted():
    command = [sys.executable, "-m", "modelmesh_cdk.testing.fake_upstream", "--port", "0"]
    command += ["--model", "a", "--model", "b"]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as server:
        try:
            assert server.stdout is not None
            url = server.stdout.readline().decode().split()[-1]
            models = httpx.get(url + "/v1/models").json()["data"]
        finally:
            server.send_signal(signal.SIGINT)
            returncode = server.wait(timeout=10)
    assert [m["id"] for m in models] == ["a", "b"]
    assert returncode == 0
