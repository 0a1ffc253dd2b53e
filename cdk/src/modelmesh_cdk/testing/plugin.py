"""The pytest plugin of the connector kit: fixtures and the standard-suite guard.

A connector's test suite loads it explicitly, in its top-level conftest::

    pytest_plugins = ["modelmesh_cdk.testing.plugin"]

It is deliberately not a ``pytest11`` entry point, so installing the CDK changes
nothing in projects that do not ask for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from modelmesh.clock import ManualClock
from modelmesh_cdk.testing.fake_upstream import FakeUpstream
from modelmesh_cdk.testing.redis_server import redis_url
from modelmesh_cdk.testing.suites.guard import Departure, departures, is_suite, violations

__all__ = ["fake_upstream", "fake_upstream_server", "manual_clock", "redis_url"]

_SUITES = pytest.StashKey[dict[type, pytest.Collector]]()


@pytest.fixture(scope="session")
def fake_upstream_server() -> Iterator[FakeUpstream]:
    """One fake upstream for the session; tests use ``fake_upstream``, which resets it."""
    with FakeUpstream() as upstream:
        yield upstream


@pytest.fixture
def fake_upstream(fake_upstream_server: FakeUpstream) -> Iterator[FakeUpstream]:
    """A running fake upstream with nothing scripted and nothing recorded."""
    fake_upstream_server.clear()
    yield fake_upstream_server
    fake_upstream_server.clear()


@pytest.fixture
def manual_clock() -> ManualClock:
    """A fresh clock that moves only when told to."""
    return ManualClock()


class StandardSuiteGuard(pytest.Item):
    """Fails when a suite subclass removes a standard test or overrides it unexplained."""

    def __init__(self, *, suite: type, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite

    def runtest(self) -> None:
        refused = violations(self.suite)
        if refused:
            raise StandardSuiteViolation(refused)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, StandardSuiteViolation):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{self.suite.__qualname__}: standard tests intact"


class StandardSuiteViolation(Exception):
    """The departures a suite subclass may not make."""

    def __init__(self, refused: list[Departure]) -> None:
        super().__init__("\n".join(departure.describe() for departure in refused))


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Note every suite subclass pytest collects, even one whose tests are all removed."""
    if is_suite(obj) and isinstance(collector, pytest.Module) and collector.classnamefilter(name):
        collector.config.stash.setdefault(_SUITES, {})[obj] = collector  # type: ignore[index]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add one guard item per collected suite subclass, after that class's tests; first,
    so that ``-k`` and ``-m`` select guards like any other test."""
    for suite, module in config.stash.get(_SUITES, {}).items():
        positions = [i for i, item in enumerate(items) if getattr(item, "cls", None) is suite]
        parent = items[positions[0]].parent if positions else module
        guard = StandardSuiteGuard.from_parent(
            parent, name="test_standard_suite_intact", suite=suite
        )
        items.insert(positions[-1] + 1 if positions else len(items), guard)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Name the standard tests a connector overrides with xfail, and why."""
    allowed = [
        departure
        for suite in config.stash.get(_SUITES, {})
        for departure in departures(suite)
        if departure.allowed
    ]
    if allowed:
        terminalreporter.section("standard tests overridden with xfail")
        for departure in allowed:
            terminalreporter.line(departure.describe())
