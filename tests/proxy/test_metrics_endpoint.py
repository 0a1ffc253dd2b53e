"""GET /metrics: the proxy serves the exposition of a sink that offers one (the
Prometheus sink), behind the same bearer auth as every endpoint but /health, and only
when the endpoint allow-list has ``metrics``. Scraped over HTTP and parsed with
prometheus-client's parser, after known requests to fake upstreams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error

from .proxies import MESSAGES, TOKEN, ThreadedProxy, chat_calls, mesh_config

Serve = Callable[..., ThreadedProxy]
PROMETHEUS = {"connector": "modelmesh.prometheus.v1", "channels": ["logs", "events"]}


def chat(client: httpx.Client) -> httpx.Response:
    return client.post("/v1/chat/completions", json={"model": "chat", "messages": MESSAGES})


def scrape(client: httpx.Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())


def test_counts_after_known_requests_are_scraped(
    serve: Serve, upstreams: list[FakeUpstream]
) -> None:
    proxy = serve(mesh_config(upstreams, observability={"sinks": [PROMETHEUS]}))
    with httpx.Client(base_url=proxy.url) as client:
        answers = [chat(client), chat(client)]
        upstreams[0].script(error(503))  # the third request fails over from a.m to b.m
        answers.append(chat(client))
        metrics = scrape(client)

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    a = labels(model="a.m", provider="a", pool="chat")
    b = labels(model="b.m", provider="b", pool="chat")
    # What the upstreams saw: every call to b answered, one call to a failed.
    a_answered, b_answered = chat_calls(upstreams[0]) - 1, chat_calls(upstreams[1])
    assert a_answered + b_answered == 3
    assert b_answered >= 1
    success = labels(outcome="success")
    assert metrics.get(("modelmesh_requests_total", a | success), 0) == a_answered
    assert metrics[("modelmesh_requests_total", b | success)] == b_answered
    assert metrics.get(("modelmesh_request_latency_seconds_count", a), 0) == a_answered
    failed = labels(model="a.m", provider="a", outcome="failure", error_category="server")
    assert metrics[("modelmesh_attempts_total", failed)] == 1
    assert metrics[("modelmesh_tokens_total", b | labels(direction="out"))] > 0


def test_metrics_need_a_token_when_the_proxy_has_tokens(
    serve: Serve, upstreams: list[FakeUpstream]
) -> None:
    config = mesh_config(
        upstreams, observability={"sinks": [PROMETHEUS]}, proxy={"auth": {"tokens": [TOKEN]}}
    )
    proxy = serve(config)
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/metrics").status_code == 401
        authorized = client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})

    assert authorized.status_code == 200
    assert "modelmesh_requests_total" in authorized.text


def test_without_a_sink_that_exposes_metrics_the_endpoint_is_404(proxy: ThreadedProxy) -> None:
    with httpx.Client(base_url=proxy.url) as client:
        response = client.get("/metrics")

    assert response.status_code == 404
    assert "modelmesh.prometheus.v1" in response.json()["error"]["message"]


def test_left_out_of_the_allow_list_the_endpoint_is_404(
    serve: Serve, upstreams: list[FakeUpstream]
) -> None:
    config: dict[str, Any] = mesh_config(
        upstreams,
        observability={"sinks": [PROMETHEUS]},
        proxy={"endpoints": ["chat/completions", "health"]},
    )
    proxy = serve(config)
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/metrics").status_code == 404


def test_metrics_answer_get_only(serve: Serve, upstreams: list[FakeUpstream]) -> None:
    proxy = serve(mesh_config(upstreams, observability={"sinks": [PROMETHEUS]}))
    with httpx.Client(base_url=proxy.url) as client:
        response = client.post("/metrics")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
