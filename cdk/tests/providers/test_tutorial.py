"""The provider tutorial's code, copied out of the page and run against the fake upstream."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from modelmesh.interfaces.provider import CompletionRequest
from modelmesh.registry import ConnectorRegistry

pytestmark = pytest.mark.anyio

TUTORIAL = Path(__file__).parents[3] / "docs" / "tutorial-provider.md"
FILE_BLOCK = re.compile(r"<!-- file: (?P<name>\S+) -->\n```\w*\n(?P<code>.*?)```", re.DOTALL)
KEY = "sk-acme-0a1b2c3d"


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory) -> Path:
    """A directory holding every file the tutorial shows."""
    root = tmp_path_factory.mktemp("acme-connectors")
    for block in FILE_BLOCK.finditer(TUTORIAL.read_text(encoding="utf-8")):
        (root / block["name"]).write_text(block["code"], encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def registry(package_dir) -> ConnectorRegistry:
    registry = ConnectorRegistry(load_entry_points=False)
    registry.load_package(str(package_dir))
    return registry


@pytest.fixture
def use_acme(package_dir) -> ModuleType:
    spec = importlib.util.spec_from_file_location("use_acme", package_dir / "use_acme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def request() -> CompletionRequest:
    return CompletionRequest(model="acme-large", messages=[{"role": "user", "content": "Hi"}])


def test_the_tutorial_shows_all_its_files(package_dir):
    assert sorted(p.name for p in package_dir.iterdir()) == [
        "acme_provider.py",
        "modelmesh-package.toml",
        "use_acme.py",
    ]


def test_the_package_registers_both_providers(package_dir):
    assert sorted(ConnectorRegistry(load_entry_points=False).load_package(str(package_dir))) == [
        "acme.gateway.v1",
        "acme.llm.v1",
    ]


async def test_the_usage_example_gets_an_answer(use_acme, package_dir, upstream):
    answer = await use_acme.ask(str(package_dir), upstream.url, KEY)
    assert answer == "Hello from the fake upstream"


async def test_the_plain_provider_sends_a_bearer_token(use_acme, package_dir, upstream):
    await use_acme.ask(str(package_dir), upstream.url, KEY)
    assert upstream.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_the_gateway_provider_sends_the_key_as_x_api_key(registry, upstream):
    provider = registry.create("acme.gateway.v1", {"base_url": upstream.url, "api_key": KEY})
    try:
        await provider.complete(request())
    finally:
        await provider.close()
    headers = upstream.requests[0].headers
    assert (headers["x-api-key"], "authorization" in headers) == (KEY, False)
