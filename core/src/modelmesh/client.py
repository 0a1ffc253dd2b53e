"""MeshClient and AsyncMeshClient: the OpenAI SDK's shape over a ModelMesh, and create().

Code written for ``openai.OpenAI`` / ``openai.AsyncOpenAI`` works unchanged:
``client.chat.completions.create(model="chat-completion", messages=[...])`` returns an
object read as ``response.choices[0].message.content``, ``stream=True`` gives an
iterator of chunks, ``client.embeddings.create`` and ``client.models.list()`` work too.
The model name is a pool, a capability or an alias; ``response.model`` is the model
that answered, and ``response.routing`` says which pool, model and provider, after how
many attempts.

The sync client runs the mesh on one background event loop that lives as long as the
client, so connections are reused across calls instead of a loop per call.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from modelmesh.interfaces.provider import (
    CompletionChunk,
    CompletionRequest,
    EmbeddingRequest,
)
from modelmesh.mesh import ConfigSource, ModelMesh
from modelmesh.routing.router import Routed, RoutedStream

__all__ = ["AsyncMeshClient", "MeshClient", "OpenAIObject", "create"]

T = TypeVar("T")


class OpenAIObject:
    """An OpenAI-shaped response: attribute access over its JSON, ``to_dict()`` back.

    Nested objects and lists of objects read the same way, as the OpenAI SDK's models
    do; ``routing`` (not part of the JSON) says who answered.
    """

    __slots__ = ("_data", "routing")

    def __init__(self, data: Mapping[str, Any], routing: RoutingInfo | None = None) -> None:
        self._data = dict(data)
        self.routing = routing

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no field {name!r}; fields: {', '.join(self._data)}"
            ) from None

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key])

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OpenAIObject):
            return self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)

    model_dump = to_dict

    def __repr__(self) -> str:
        kind = self._data.get("object", "object")
        return f"OpenAIObject({kind}, {self._data!r})"


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return OpenAIObject(value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


@attrs.frozen
class RoutingInfo:
    """Who answered a request: the pool, the model and provider, and the attempts."""

    pool_id: str
    model_id: str
    provider_id: str
    attempts: int


# The OpenAI SDK reads an optional field a response left out as None, and code written
# for it relies on that (``chunk.choices[0].delta.content or ""`` on the last chunk).
_MESSAGE_FIELDS = ("role", "content", "tool_calls", "function_call", "refusal")


def _sdk_payload(payload: dict[str, Any], message_key: str) -> dict[str, Any]:
    """``payload`` with the optional message (or delta) fields and usage present."""
    for choice in payload.get("choices", ()):
        message = choice.get(message_key)
        if isinstance(message, dict):
            for field in _MESSAGE_FIELDS:
                message.setdefault(field, None)
    payload.setdefault("usage", None)
    return payload


def _routing(routed: Routed[Any] | RoutedStream) -> RoutingInfo:
    return RoutingInfo(routed.pool_id, routed.model_id, routed.provider_id, routed.attempts)


def _completion_request(
    model: str, messages: Sequence[Mapping[str, Any]], parameters: dict[str, Any]
) -> CompletionRequest:
    known = {k: parameters.pop(k) for k in _COMPLETION_PARAMETERS if k in parameters}
    known = {k: v for k, v in known.items() if v is not None}
    extra = dict(parameters.pop("extra_body", None) or {})
    extra.update(parameters)
    return CompletionRequest(model=model, messages=messages, extra=extra, **known)


_COMPLETION_PARAMETERS = (
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "tools",
    "tool_choice",
    "user",
)


# --- async client ----------------------------------------------------------------------


class _AsyncCompletions:
    def __init__(self, client: AsyncMeshClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        stream: bool = False,
        timeout: float | None = None,
        session_id: str | None = None,
        **parameters: Any,
    ) -> Any:
        """A chat completion, or with ``stream=True`` an async iterator of chunks.

        ``timeout`` is the whole request's deadline (every attempt and backoff);
        ``session_id`` keys session-sticky pools (the ``user`` field does too).
        Other parameters go upstream unchanged.
        """
        router = (await self._client._ready()).get_router()
        request = _completion_request(model, messages, parameters)
        if stream:
            routed = await router.stream(request, timeout=timeout, session_id=session_id)
            return _AsyncChunks(routed)
        result = await router.complete(request, timeout=timeout, session_id=session_id)
        payload = _sdk_payload(result.value.to_openai_payload(), "message")
        return OpenAIObject(payload, _routing(result))


class _AsyncChunks:
    """The chunks of a routed stream as OpenAI chunk objects."""

    def __init__(self, routed: RoutedStream) -> None:
        self._routed = routed
        self.routing = _routing(routed)

    def __aiter__(self) -> _AsyncChunks:
        return self

    async def __anext__(self) -> OpenAIObject:
        chunk: CompletionChunk = await anext(self._routed)
        return OpenAIObject(_sdk_payload(chunk.to_openai_payload(), "delta"), self.routing)

    async def aclose(self) -> None:
        await self._routed.aclose()

    async def __aenter__(self) -> _AsyncChunks:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _AsyncEmbeddings:
    def __init__(self, client: AsyncMeshClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        model: str,
        input: str | Sequence[Any],
        timeout: float | None = None,
        **parameters: Any,
    ) -> OpenAIObject:
        router = (await self._client._ready()).get_router()
        known = {
            k: parameters.pop(k)
            for k in ("encoding_format", "dimensions", "user")
            if k in parameters
        }
        known = {k: v for k, v in known.items() if v is not None}
        request = EmbeddingRequest(model=model, input=input, extra=parameters, **known)
        result = await router.embed(request, timeout=timeout)
        return OpenAIObject(result.value.to_openai_payload(), _routing(result))


class _AsyncModels:
    def __init__(self, client: AsyncMeshClient) -> None:
        self._client = client

    async def list(self) -> OpenAIObject:
        """One entry per pool (what a caller may ask for) and per model."""
        mesh = await self._client._ready()
        return OpenAIObject({"object": "list", "data": _model_entries(mesh)})


class _AsyncChat:
    def __init__(self, client: AsyncMeshClient) -> None:
        self.completions = _AsyncCompletions(client)


class AsyncMeshClient:
    """``openai.AsyncOpenAI`` over a mesh; ``async with`` initializes and shuts it down.

    Give it a configuration (YAML path, mapping, MeshConfig) or a ready ``mesh``.
    """

    def __init__(
        self,
        config: ConfigSource | None = None,
        *,
        mesh: ModelMesh | None = None,
        **mesh_options: Any,
    ) -> None:
        self.mesh = mesh if mesh is not None else ModelMesh(config, **mesh_options)
        self._owns_mesh = mesh is None
        self.chat = _AsyncChat(self)
        self.embeddings = _AsyncEmbeddings(self)
        self.models = _AsyncModels(self)

    async def _ready(self) -> ModelMesh:
        return await self.mesh.initialize()

    async def close(self) -> None:
        if self._owns_mesh:
            await self.mesh.shutdown()

    async def __aenter__(self) -> AsyncMeshClient:
        await self._ready()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def pool_status(self, pool: str | None = None) -> dict[str, dict[str, Any]]:
        return self.mesh.pool_status(pool)

    def explain(self, model: str, **options: Any) -> Any:
        return self.mesh.explain(model, **options)


# --- sync client -----------------------------------------------------------------------


class _LoopThread:
    """One event loop on a daemon thread, running the mesh for a sync client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="modelmesh-client", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a MeshClient call cannot be made from its own event loop")
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class _Completions:
    def __init__(self, client: MeshClient) -> None:
        self._client = client

    def create(self, *, stream: bool = False, **arguments: Any) -> Any:
        """As ``AsyncMeshClient``'s; with ``stream=True`` a (sync) iterator of chunks."""
        result = self._client._run(
            self._client._async.chat.completions.create(stream=stream, **arguments)
        )
        return _Chunks(self._client, result) if stream else result


class _Chunks:
    """A routed stream read from sync code, one chunk per ``next``."""

    def __init__(self, client: MeshClient, chunks: _AsyncChunks) -> None:
        self._client = client
        self._chunks = chunks
        self.routing = chunks.routing

    def __iter__(self) -> Iterator[OpenAIObject]:
        return self

    def __next__(self) -> OpenAIObject:
        try:
            return self._client._run(anext(self._chunks))
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        self._client._run(self._chunks.aclose())

    def __enter__(self) -> _Chunks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Embeddings:
    def __init__(self, client: MeshClient) -> None:
        self._client = client

    def create(self, **arguments: Any) -> OpenAIObject:
        return self._client._run(self._client._async.embeddings.create(**arguments))


class _Models:
    def __init__(self, client: MeshClient) -> None:
        self._client = client

    def list(self) -> OpenAIObject:
        return self._client._run(self._client._async.models.list())


class _Chat:
    def __init__(self, client: MeshClient) -> None:
        self.completions = _Completions(client)


class MeshClient:
    """``openai.OpenAI`` over a mesh, for sync code; ``with`` closes it.

    The mesh starts at construction, on the client's own event loop thread.
    """

    def __init__(self, config: ConfigSource | None = None, **mesh_options: Any) -> None:
        self._loop = _LoopThread()
        self._async = AsyncMeshClient(config, **mesh_options)
        self.mesh = self._async.mesh
        try:
            self._run(self.mesh.initialize())
        except BaseException:
            self._loop.stop()
            raise
        self.chat = _Chat(self)
        self.embeddings = _Embeddings(self)
        self.models = _Models(self)
        self._closed = False

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coroutine)

    def close(self) -> None:
        """Shut the mesh down (state saved, connections closed) and stop the loop."""
        if self._closed:
            return
        self._closed = True
        try:
            self._run(self._async.close())
        finally:
            self._loop.stop()

    def __enter__(self) -> MeshClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def pool_status(self, pool: str | None = None) -> dict[str, dict[str, Any]]:
        return self.mesh.pool_status(pool)

    def active_providers(self) -> list[str]:
        return self.mesh.active_providers()

    def rotate(self, pool: str) -> str | None:
        """As ModelMesh.rotate, run on the client's loop, where the mesh's state lives."""

        async def rotate() -> str | None:
            return self.mesh.rotate(pool)

        return self._run(rotate())

    def explain(self, model: str, **options: Any) -> Any:
        return self.mesh.explain(model, **options)

    def describe(self, pool: str | None = None) -> str:
        """Each pool's strategy, capability and models, an arrow on the current one."""
        lines = []
        router = self.mesh.get_router()
        for pool_id, status in self.mesh.pool_status(pool).items():
            entry = router.pools[pool_id]
            lines.append(
                f"pool {pool_id}: capability {entry.node}, strategy {entry.config.strategy}"
            )
            for model_id, model in status["models"].items():
                arrow = "->" if model_id == status["current_model"] else "  "
                reason = f" ({model['reason']})" if model["reason"] else ""
                lines.append(f"  {arrow} {model_id} [{model['status']}{reason}]")
        return "\n".join(lines)


def _model_entries(mesh: ModelMesh) -> list[dict[str, Any]]:
    pools = [
        {"id": pool_id, "object": "model", "owned_by": "modelmesh"} for pool_id in mesh.list_pools()
    ]
    return pools + mesh.list_models()


# --- create() --------------------------------------------------------------------------


def create(
    *capabilities: str,
    pool: str | None = None,
    providers: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    strategy: str = "stick-until-failure",
    api_keys: Mapping[str, str] | None = None,
    config: ConfigSource | None = None,
    environ: Mapping[str, str] | None = None,
    **mesh_options: Any,
) -> MeshClient:
    """A ready MeshClient: from ``config``, or from providers found in the environment.

    With ``config`` nothing is detected (``environ`` still resolves its ``${VAR}``
    references). Otherwise ``pool`` (a predefined pool) or the
    ``capabilities`` (one pool each, named by the string given) are served by every
    provider whose API key or host variable is set (or those of ``api_keys``, then only
    those), narrowed by ``providers`` and ``models``.
    """
    if config is not None:
        return MeshClient(config, environ=environ, **mesh_options)
    from modelmesh.autodetect import build_config, detect

    environment = os.environ if environ is None else environ
    detected = detect(environment, providers=providers, api_keys=api_keys)
    built = build_config(
        capabilities, pool=pool, detected=detected, models=models, strategy=strategy
    )
    return MeshClient(built, environ=environment, **mesh_options)
