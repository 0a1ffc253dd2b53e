"""Configurations and requests the routing tests share: providers a, b, c on fake
upstreams, one chat model each, and a pool ``chat``."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from modelmesh.interfaces.provider import CompletionRequest
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import CHAT_PATH, FakeUpstream

NAMES = ("a", "b", "c")


def mesh_yaml(
    urls: Sequence[str],
    pool: str = "",
    *,
    providers: Mapping[str, str] | None = None,
    models: Mapping[str, str] | None = None,
    pools: str | None = None,
) -> str:
    """Providers a, b, c on ``urls`` with extra keys from ``providers``, one chat model
    each (``a.m``, ...) with extra keys from ``models``, and a pool ``chat`` with
    ``pool`` as its extra keys, unless ``pools`` replaces the whole section."""
    lines = ["providers:"]
    for name, url in zip(NAMES, urls, strict=False):
        lines += [f"  {name}:", "    connector: openai.llm.v1", f"    base_url: {url}"]
        lines += ["    api_key: test", *_indented((providers or {}).get(name, ""), 4)]
    lines.append("models:")
    for name in NAMES[: len(urls)]:
        lines += [f"  {name}.m:", f"    provider: {name}", "    capabilities: [chat-completion]"]
        lines += _indented((models or {}).get(name, ""), 4)
    lines.append("pools:")
    if pools is None:
        lines += ["  chat:", "    capability: chat-completion", *_indented(pool, 4)]
    else:
        lines += _indented(pools, 2)
    return "\n".join(lines) + "\n"


def _indented(text: str, width: int) -> list[str]:
    return [" " * width + line for line in textwrap.dedent(text).splitlines() if line.strip()]


def chat(model: str = "chat", **options: object) -> CompletionRequest:
    """A one-message chat request to ``model``."""
    return CompletionRequest(model, [{"role": "user", "content": "hi"}], **options)


def calls(server: FakeUpstream) -> int:
    """Chat completions the upstream received (probes list models instead)."""
    return sum(1 for request in server.requests if request.path == CHAT_PATH)


def status_of(mesh: ModelMesh, model: str, pool: str = "chat") -> dict[str, Any]:
    """One model's entry in ``pool_status``."""
    return mesh.pool_status(pool)[pool]["models"][model]


async def served(mesh: ModelMesh, count: int = 1, **request: Any) -> list[str]:
    """The model of each of ``count`` requests in turn (``request``: extra fields, and
    ``metadata`` for the router)."""
    router = mesh.get_router()
    metadata = request.pop("metadata", None)
    return [
        (await router.complete(chat(**request), metadata=metadata)).model_id for _ in range(count)
    ]
