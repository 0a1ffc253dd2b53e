"""The proxy's HTTP surface: auth, CORS, the endpoint allow-list, validation and the R15
error mapping, seen from a plain HTTP client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from modelmesh.config.schema import ProxyEndpoint
from modelmesh.errors import ConfigurationError
from modelmesh.proxy import ProxySettings
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error, stream

from .proxies import MESSAGES, TOKEN, ThreadedProxy, chat_calls, mesh_config

CHAT = "/v1/chat/completions"
Serve = Callable[..., ThreadedProxy]


def post(proxy: ThreadedProxy, path: str, body: Any = None, **options: Any) -> httpx.Response:
    with httpx.Client(base_url=proxy.url) as client:
        if body is None or isinstance(body, bytes):
            return client.post(path, content=body or b"", **options)
        return client.post(path, json=body, **options)


def get(proxy: ThreadedProxy, path: str, **options: Any) -> httpx.Response:
    with httpx.Client(base_url=proxy.url) as client:
        return client.get(path, **options)


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code"}
    return body["error"]


# --- auth ----------------------------------------------------------------------------------


def test_tokens_from_yaml_guard_every_endpoint_but_health(
    serve: Serve, upstreams: list[FakeUpstream]
) -> None:
    config = mesh_config(upstreams, proxy={"auth": {"enabled": True, "tokens": [TOKEN, "other"]}})
    proxy = serve(config)
    chat = {"model": "chat", "messages": MESSAGES}

    missing = post(proxy, CHAT, chat)
    assert missing.status_code == 401
    assert error_of(missing)["code"] == "invalid_api_key"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = post(proxy, CHAT, chat, headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert TOKEN not in wrong.text
    bare = post(proxy, CHAT, chat, headers={"authorization": TOKEN})
    assert bare.status_code == 401
    assert get(proxy, "/v1/models").status_code == 401

    for token in (TOKEN, "other"):
        good = post(proxy, CHAT, chat, headers={"authorization": f"Bearer {token}"})
        assert good.status_code == 200
    assert get(proxy, "/health").json()["running"] is True
    assert chat_calls(upstreams[0]) + chat_calls(upstreams[1]) == 2


def test_token_flag_replaces_the_yaml_tokens(serve: Serve, upstreams: list[FakeUpstream]) -> None:
    config = mesh_config(upstreams, proxy={"auth": {"enabled": True, "tokens": ["yaml-token"]}})
    proxy = serve(config, tokens=[TOKEN])
    headers = {"authorization": "Bearer yaml-token"}
    assert get(proxy, "/v1/models", headers=headers).status_code == 401
    assert get(proxy, "/v1/models", headers={"authorization": f"Bearer {TOKEN}"}).is_success


def test_tokens_never_show_in_reprs(serve: Serve) -> None:
    proxy = serve(tokens=[TOKEN])
    for text in (repr(proxy.server.settings), repr(proxy.server.app), repr(proxy.server)):
        assert TOKEN not in text
    assert "1 token" in repr(proxy.server.settings)


def test_non_loopback_bind_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        ProxySettings(host="0.0.0.0")
    assert "'0.0.0.0'" in str(caught.value)
    assert "--token" in str(caught.value)
    assert ProxySettings(host="0.0.0.0", tokens=[TOKEN]).host == "0.0.0.0"
    assert ProxySettings(host="::1").host == "::1"
    assert ProxySettings(host="localhost").host == "localhost"


def test_server_refuses_a_public_host_without_token_and_leaves_nothing_running(
    upstreams: list[FakeUpstream],
) -> None:
    with pytest.raises(ConfigurationError, match=r"192\.0\.2\.1"):
        ThreadedProxy(mesh_config(upstreams), host="192.0.2.1", port=0)


# --- CORS ----------------------------------------------------------------------------------


def test_cors_preflight_and_headers_for_allowed_origins_only(
    serve: Serve, upstreams: list[FakeUpstream]
) -> None:
    config = mesh_config(
        upstreams, proxy={"cors": {"enabled": True, "origins": ["https://app.example"]}}
    )
    proxy = serve(config, tokens=[TOKEN])
    preflight_headers = {
        "origin": "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    with httpx.Client(base_url=proxy.url) as client:
        preflight = client.options(CHAT, headers=preflight_headers)
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "authorization" in preflight.headers["access-control-allow-headers"]

        refused = client.options(CHAT, headers={**preflight_headers, "origin": "https://evil"})
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers

        answer = client.post(
            CHAT,
            json={"model": "chat", "messages": MESSAGES},
            headers={"origin": "https://app.example", "authorization": f"Bearer {TOKEN}"},
        )
        assert answer.headers["access-control-allow-origin"] == "https://app.example"
        assert "x-modelmesh-model" in answer.headers["access-control-expose-headers"]
        other = client.get(
            "/v1/models", headers={"origin": "https://evil", "authorization": f"Bearer {TOKEN}"}
        )
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers


def test_without_cors_configured_no_cors_headers_are_sent(proxy: ThreadedProxy) -> None:
    response = get(proxy, "/v1/models", headers={"origin": "https://app.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# --- endpoints -----------------------------------------------------------------------------


def test_endpoint_allow_list_answers_404_for_the_rest(
    serve: Serve, upstreams: list[FakeUpstream]
) -> None:
    proxy = serve(mesh_config(upstreams, proxy={"endpoints": ["chat/completions", "health"]}))
    assert post(proxy, CHAT, {"model": "chat", "messages": MESSAGES}).status_code == 200
    assert get(proxy, "/health").status_code == 200
    for path in ("/v1/models", "/v1/models/chat"):
        response = get(proxy, path)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert post(proxy, "/v1/embeddings", {"model": "chat", "input": "x"}).status_code == 404


def test_unknown_path_is_404_and_wrong_method_is_405(proxy: ThreadedProxy) -> None:
    assert get(proxy, "/v2/anything").status_code == 404
    wrong = get(proxy, CHAT)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
    assert error_of(wrong)["code"] == "method_not_allowed"


def test_health_reports_port_uptime_and_requests(proxy: ThreadedProxy) -> None:
    get(proxy, "/v1/models")
    health = get(proxy, "/health").json()
    assert health["running"] is True
    assert health["port"] == int(proxy.url.rsplit(":", 1)[1])
    assert health["uptime_seconds"] >= 0
    assert health["total_requests"] == 2
    assert proxy.server.status()["host"] == "127.0.0.1"
    assert set(ProxyEndpoint) == ProxySettings().endpoints


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        ([1, 2], "JSON object"),
        ({"messages": MESSAGES}, "'model'"),
        ({"model": "chat"}, "'messages'"),
        ({"model": "chat", "messages": []}, "'messages'"),
        ({"model": "chat", "messages": ["hi"]}, "'messages'"),
        ({"model": 3, "messages": MESSAGES}, "'model'"),
        ({"model": "chat", "messages": MESSAGES, "temperature": "hot"}, "'temperature'"),
        ({"model": "chat", "messages": MESSAGES, "temperature": -1}, "temperature"),
        ({"model": "chat", "messages": MESSAGES, "max_tokens": 1.5}, "'max_tokens'"),
        ({"model": "chat", "messages": MESSAGES, "stream": "yes"}, "'stream'"),
    ],
)
def test_malformed_chat_requests_are_400_naming_the_problem(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream], body: Any, named: str
) -> None:
    response = post(proxy, CHAT, body)
    assert response.status_code == 400
    problem = error_of(response)
    assert named in problem["message"]
    assert problem["type"] == "invalid_request_error"
    assert chat_calls(upstreams[0]) == 0


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"model": "chat"}, "'input'"),
        ({"model": "chat", "input": []}, "'input'"),
        ({"model": "chat", "input": 5}, "'input'"),
        ({"model": "chat", "input": "x", "dimensions": 0}, "dimensions"),
    ],
)
def test_malformed_embedding_requests_are_400(proxy: ThreadedProxy, body: Any, named: str) -> None:
    response = post(proxy, "/v1/embeddings", body)
    assert response.status_code == 400
    assert named in error_of(response)["message"]


# --- routing errors (R15) ------------------------------------------------------------------


def test_unknown_model_is_404_model_not_found(proxy: ThreadedProxy) -> None:
    response = post(proxy, CHAT, {"model": "gpt-nothing", "messages": MESSAGES})
    assert response.status_code == 404
    assert error_of(response)["code"] == "model_not_found"
    assert get(proxy, "/v1/models/gpt-nothing").status_code == 404


def test_no_active_model_is_503(proxy: ThreadedProxy, upstreams: list[FakeUpstream]) -> None:
    proxy.mesh.deactivate("a.m")
    proxy.mesh.deactivate("b.m")
    response = post(proxy, CHAT, {"model": "chat", "messages": MESSAGES})
    assert response.status_code == 503
    assert error_of(response)["code"] == "no_active_model"
    assert chat_calls(upstreams[0]) == chat_calls(upstreams[1]) == 0


def test_all_providers_failing_is_502(proxy: ThreadedProxy, upstreams: list[FakeUpstream]) -> None:
    upstreams[0].script(error(500))
    upstreams[1].script(error(503))
    response = post(proxy, CHAT, {"model": "chat", "messages": MESSAGES})
    assert response.status_code == 502
    problem = error_of(response)
    assert problem["code"] == "all_providers_exhausted"
    assert "2 attempt" in problem["message"]


def test_a_spent_budget_is_402_and_nothing_is_sent(
    serve: Serve, upstreams: list[FakeUpstream]
) -> None:
    config = mesh_config(
        upstreams,
        providers={"a": {"budget": {"daily_limit": 0.01}}, "b": {"budget": {"daily_limit": 0.01}}},
        models={"a": {"pricing": {"per_request": 0.05}}, "b": {"pricing": {"per_request": 0.05}}},
    )
    proxy = serve(config)
    response = post(proxy, CHAT, {"model": "chat", "messages": MESSAGES})
    assert response.status_code == 402
    problem = error_of(response)
    assert problem["code"] == "budget_exceeded"
    assert "budget" in problem["message"]
    assert chat_calls(upstreams[0]) == chat_calls(upstreams[1]) == 0


def test_a_request_the_provider_refuses_is_400_without_failover(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    upstreams[0].script(error(400, "bad tool schema"))
    response = post(proxy, CHAT, {"model": "chat", "messages": MESSAGES})
    assert response.status_code == 400
    assert "bad tool schema" in error_of(response)["message"]
    assert chat_calls(upstreams[1]) == 0


def test_a_stream_failing_after_its_first_chunk_ends_with_one_error_frame(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    upstreams[0].script(stream(["one", " two", " three"], cut_after=1))
    body = {"model": "chat", "messages": MESSAGES, "stream": True}
    with httpx.Client(base_url=proxy.url) as client:
        response = client.post(CHAT, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    frames = [line for line in response.text.split("\n\n") if line]
    assert frames[0].startswith("data: {")
    assert '"one"' in frames[0]
    assert frames[-1].startswith('data: {"error"')
    assert "[DONE]" not in response.text
    assert chat_calls(upstreams[1]) == 0


def test_a_stream_failing_before_its_first_chunk_is_an_http_error(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    upstreams[0].script(error(500))
    upstreams[1].script(error(500))
    response = post(proxy, CHAT, {"model": "chat", "messages": MESSAGES, "stream": True})
    assert response.status_code == 502
    assert error_of(response)["code"] == "all_providers_exhausted"
