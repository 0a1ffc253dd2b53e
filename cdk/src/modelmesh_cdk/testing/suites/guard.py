"""What makes a test "standard", and how a suite subclass may depart from it.

An author runs a standard suite by subclassing it. The subclass may add tests and
override fixtures and capability properties, but a standard test it removes (sets to
None) or replaces silently would make a connector look conformant when it is not.
So a replacement is allowed only when marked ``@pytest.mark.xfail(reason=...)`` with a
non-empty reason: the departure is then visible, explained and checked by pytest.
Pytest is not imported here: marks are read as the plain attributes pytest stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs


class StandardSuite:
    """Base of every standard suite.

    A class declared with ``class XTests(StandardSuite, standard=True)`` contributes
    its ``test*`` methods as standard tests of every subclass.
    """

    _standard: bool = False

    def __init_subclass__(cls, *, standard: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._standard = standard


@attrs.frozen
class Departure:
    """One standard test a suite subclass does not run as written."""

    suite: type
    name: str
    defined_in: type | None
    xfail_reason: str | None

    @property
    def allowed(self) -> bool:
        return self.xfail_reason is not None

    def describe(self) -> str:
        where = f"{self.suite.__qualname__}.{self.name}"
        if self.defined_in is None:
            return f"{where}: standard test removed (set to None)"
        if self.xfail_reason is None:
            return (
                f"{where}: standard test overridden in {self.defined_in.__qualname__} "
                "without @pytest.mark.xfail(reason=...); mark the override with the "
                "reason the connector departs from the standard"
            )
        return f"{where}: overridden with xfail: {self.xfail_reason}"


def is_suite(cls: object) -> bool:
    """True for an author's subclass of a standard suite (not a standard suite itself)."""
    return isinstance(cls, type) and issubclass(cls, StandardSuite) and not cls._standard


def standard_tests(cls: type) -> dict[str, Any]:
    """Every standard test ``cls`` inherits, by name, as its standard suite defines it."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if vars(klass).get("_standard", False):
            found.update(
                (name, value) for name, value in vars(klass).items() if name.startswith("test")
            )
    return found


def departures(cls: type) -> list[Departure]:
    """The standard tests ``cls`` removes or overrides, in definition order."""
    found = []
    for name, original in standard_tests(cls).items():
        owner = next(klass for klass in cls.__mro__ if name in vars(klass))
        current = vars(owner)[name]
        if current is original:
            continue
        if current is None:
            found.append(Departure(cls, name, None, None))
        else:
            found.append(Departure(cls, name, owner, _xfail_reason(current)))
    return found


def violations(cls: type) -> list[Departure]:
    """Departures the guard refuses: removals and unexplained overrides."""
    return [departure for departure in departures(cls) if not departure.allowed]


def _xfail_reason(test: Any) -> str | None:
    """The non-empty reason of an ``xfail`` mark on ``test``, else None."""
    for mark in _marks(test):
        if getattr(mark, "name", None) == "xfail":
            reason = mark.kwargs.get("reason")
            if isinstance(reason, str) and reason.strip():
                return reason.strip()
    return None


def _marks(test: Any) -> Iterator[Any]:
    marks = getattr(test, "pytestmark", ())
    yield from marks if isinstance(marks, list) else (marks,)
