"""The three fake providers the demo routes between, each misbehaving in its own pattern.

Each provider is a ``FakeUpstream`` answering a pattern of behaviours round and round, so
what it does depends only on how many requests it has had, never on timing: the n-th call
to a provider always gets the same answer, and the demo can say what each call got.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Self

import attrs

from modelmesh_cdk.testing.fake_upstream import Behaviour, Error, FakeUpstream, error, ok


@attrs.frozen
class FakeProvider:
    """One provider of ``demo.yaml``: its ID there, what it does, and how."""

    name: str
    role: str
    pattern: tuple[Behaviour, ...]

    @property
    def port_variable(self) -> str:
        """The environment reference ``demo.yaml`` reads this provider's port from."""
        return f"MODELMESH_DEMO_{self.name.upper()}_PORT"

    def status(self, call: int) -> int:
        """The HTTP status this provider answers its ``call``-th request (from 0) with."""
        behaviour = self.pattern[call % len(self.pattern)]
        return behaviour.status if isinstance(behaviour, Error) else 200


def _answer(name: str, latency: float) -> Behaviour:
    return ok(f"Hello from {name}", delay=latency)


RATELIMITED = FakeProvider(
    "ratelimited",
    "fast; after every 4 answers, two 429s (Retry-After: 1)",
    (*[_answer("ratelimited", 0.005)] * 4, *[error(429, retry_after=1)] * 2),
)
FLAKY = FakeProvider(
    "flaky",
    "a 500 or 503 now and then",
    (
        _answer("flaky", 0.015),
        _answer("flaky", 0.015),
        error(500),
        _answer("flaky", 0.015),
        _answer("flaky", 0.015),
        error(503),
        error(503),
        _answer("flaky", 0.015),
    ),
)
STEADY = FakeProvider("steady", "slower; always answers", (_answer("steady", 0.03),))

PROVIDERS = (RATELIMITED, FLAKY, STEADY)
"""In ``demo.yaml``'s priority order."""


class RunningProviders:
    """The fake providers, each serving on its own loopback port while in the ``with``."""

    def __init__(self, providers: tuple[FakeProvider, ...] = PROVIDERS) -> None:
        self.providers = providers
        self._upstreams: dict[str, FakeUpstream] = {}
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Self:
        with contextlib.ExitStack() as stack:
            for provider in self.providers:
                upstream = stack.enter_context(FakeUpstream(models=(f"{provider.name}-chat",)))
                upstream.repeat(*provider.pattern)
                self._upstreams[provider.name] = upstream
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()

    @property
    def urls(self) -> dict[str, str]:
        """Each provider's base URL, by name."""
        return {name: upstream.url for name, upstream in self._upstreams.items()}

    @property
    def environ(self) -> Mapping[str, str]:
        """The variables ``demo.yaml`` reads the providers' ports from."""
        return {
            provider.port_variable: self.urls[provider.name].rsplit(":", 1)[1]
            for provider in self.providers
        }

    def calls(self) -> dict[str, int]:
        """How many requests each provider has received so far."""
        return {name: len(upstream.requests) for name, upstream in self._upstreams.items()}

    def answers_since(self, before: Mapping[str, int]) -> Iterator[tuple[str, int]]:
        """``(provider, status)`` of each call made since ``calls()`` returned ``before``,
        in the order the requests arrived."""
        arrivals = []
        for provider in self.providers:
            received = self._upstreams[provider.name].requests
            for call in range(before.get(provider.name, 0), len(received)):
                arrivals.append((received[call].arrived_at, provider.name, provider.status(call)))
        for _, name, status in sorted(arrivals):
            yield name, status
