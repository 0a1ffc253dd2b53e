"""The request log: one record per request, with the prompt and the answer at
``summary`` level and above, for plain and streamed completions and for failures."""

from __future__ import annotations

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import AllProvidersExhaustedError
from modelmesh.interfaces.observability import RequestLogEntry
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.base.observability import NullObservability
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error, ok, stream

from .conftest import run
from .meshes import chat


class Logs(NullObservability):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[RequestLogEntry] = []

    def log(self, entry: RequestLogEntry) -> None:
        self.entries.append(entry)


def _config(upstream: FakeUpstream, sink: Logs) -> dict[str, object]:
    return {
        "providers": {
            "a": {"connector": "openai.llm.v1", "base_url": upstream.url, "api_key": "test"}
        },
        "models": {"a.m": {"provider": "a", "capabilities": ["chat-completion"]}},
        "pools": {"chat": {"capability": "chat-completion", "retry": {"max_attempts": 1}}},
        "observability": {"connectors": [{"instance": sink, "level": "full"}]},
    }


def _logged(
    upstreams: list[FakeUpstream], clock: ManualClock, *, streamed: bool, sink: Logs | None = None
) -> Logs:
    sink = sink or Logs()

    async def scenario() -> None:
        async with ModelMesh(_config(upstreams[0], sink), clock=clock) as mesh:
            router = mesh.get_router()
            if streamed:
                [chunk async for chunk in await router.stream(chat())]
            else:
                await router.complete(chat())

    run(scenario())
    return sink


def test_a_completion_is_logged_with_its_prompt_and_answer(upstreams, clock) -> None:
    upstreams[0].script(ok("the answer"))

    [entry] = _logged(upstreams, clock, streamed=False).entries

    assert (entry.model_id, entry.status_code, entry.attempts) == ("a.m", 200, 1)
    assert (entry.prompt_preview, entry.response_preview) == ("hi", "the answer")


def test_a_stream_is_logged_with_its_prompt_and_whole_answer(upstreams, clock) -> None:
    upstreams[0].script(stream(["the", " answer"]))

    [entry] = _logged(upstreams, clock, streamed=True).entries

    assert (entry.prompt_preview, entry.response_preview) == ("hi", "the answer")


def test_a_failed_request_is_logged_with_its_prompt_and_error(upstreams, clock) -> None:
    upstreams[0].script(error(500))
    sink = Logs()

    with pytest.raises(AllProvidersExhaustedError):
        _logged(upstreams, clock, streamed=False, sink=sink)

    [entry] = sink.entries
    assert (entry.model_id, entry.prompt_preview, entry.attempts) == (None, "hi", 1)
    assert "all candidate models failed" in (entry.error or "")


def test_every_call_of_a_failed_over_request_is_in_its_record(upstreams, clock) -> None:
    upstreams[0].script(error(503))
    upstreams[1].script(ok("from b"))
    sink = Logs()
    config = {
        "providers": {
            key: {"connector": "openai.llm.v1", "base_url": up.url, "api_key": "test"}
            for key, up in (("a", upstreams[0]), ("b", upstreams[1]))
        },
        "models": {
            f"{key}.m": {"provider": key, "capabilities": ["chat-completion"]} for key in "ab"
        },
        "pools": {
            "chat": {
                "capability": "chat-completion",
                "strategy": "priority-selection",
                "model_priority": ["a.m", "b.m"],
                "retry": {"max_attempts": 1},
            }
        },
        "observability": {"connectors": [{"instance": sink, "level": "full"}]},
    }

    async def scenario() -> None:
        async with ModelMesh(config, clock=clock) as mesh:
            await mesh.get_router().complete(chat())

    run(scenario())

    [entry] = sink.entries
    assert [
        (a.model_id, a.provider_id, a.status_code, a.error_category, a.error is None)
        for a in entry.attempt_records
    ] == [("a.m", "a", 503, "server", False), ("b.m", "b", 200, None, True)]
    assert entry.attempt_records[0].started_at == clock.now()
    assert [a["model_id"] for a in entry.to_record()["attempt_records"]] == ["a.m", "b.m"]
