"""A fresh fake upstream per test, so scripted behaviours and recordings never leak."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelmesh_cdk.testing.fake_upstream import FakeUpstream


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(models=("fake-model", "other-model")) as server:
        yield server
