"""Shared pieces of the cross-package tests: three fake upstreams for the session,
commands run with a clean environment, wheels of modelmesh-core and modelmesh-cdk built
once per session, and fresh virtual environments that install them offline.

Everything is offline. Third-party packages come from the uv cache that ``uv sync``
filled, pinned to the versions in ``uv.lock``: they are installed first without
resolution (the cache holds their wheels, not always the metadata a resolver asks
for), then the requested wheels are installed with normal resolution, which finds
every dependency already satisfied and so proves that what they declare is there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelmesh_cdk.testing.fake_upstream import FakeUpstream

ROOT = Path(__file__).resolve().parents[1]

# Variables that would make a subprocess see the dev environment or a plugin filter
# instead of what the test set up.
_STRIPPED = ("VIRTUAL_ENV", "PYTHONPATH", "MODELMESH_LOAD_PLUGINS")

Run = Callable[..., str]
RunCommand = Callable[..., "subprocess.CompletedProcess[str]"]


def _run_command(
    *command: str | Path, cwd: Path | None = None, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` without the variables above; fail with its output unless it
    exits with status ``expect``."""
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED}
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == expect, (
        f"{' '.join(map(str, command))} exited with {done.returncode}, expected {expect}\n"
        f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
    )
    return done


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    return _run_command(*command, cwd=cwd).stdout


@pytest.fixture(scope="session")
def run() -> Run:
    """``run(*command, cwd=None) -> stdout``: fails the test, showing stdout and stderr,
    when the command does not exit with 0."""
    return _run


@pytest.fixture(scope="session")
def run_command() -> RunCommand:
    """``run_command(*command, cwd=None, expect=0) -> CompletedProcess``: fails the test,
    showing stdout and stderr, when the command's exit status is not ``expect``."""
    return _run_command


@pytest.fixture(scope="session")
def uv() -> str:
    """The uv executable (in the dev dependency group, so on PATH under ``uv run``)."""
    found = shutil.which("uv")
    if found is None:
        pytest.skip("uv is not on PATH (it is in the dev dependency group: run through uv)")
    return found


@dataclass(frozen=True)
class Wheelhouse:
    """Wheels of the workspace's own distributions, and the lock's third-party pins."""

    directory: Path
    core: Path
    cdk: Path
    pins: Path

    @staticmethod
    def requirement(wheel: Path, *extras: str) -> str:
        """A direct-reference requirement for ``wheel`` with ``extras``:
        ``name[extra] @ file:///...whl``."""
        name = wheel.name.split("-")[0].replace("_", "-")
        return f"{name}[{','.join(extras)}] @ {wheel.as_uri()}"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory, uv) -> Wheelhouse:
    """modelmesh-core and modelmesh-cdk built into wheels once per session."""
    directory = tmp_path_factory.mktemp("wheelhouse")
    for project in ("core", "cdk"):
        _run(uv, "build", "--offline", "--wheel", "--out-dir", directory, ROOT / project)
    pins = directory / "pins.txt"
    pins.write_text(
        _run(
            uv,
            "export",
            "--frozen",
            "--offline",
            "--package",
            "modelmesh-cdk",
            "--extra",
            "testing",
            "--no-emit-workspace",
            "--no-dev",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
            cwd=ROOT,
        )
    )
    (core,) = directory.glob("modelmesh_core-*.whl")
    (cdk,) = directory.glob("modelmesh_cdk-*.whl")
    return Wheelhouse(directory=directory, core=core, cdk=cdk, pins=pins)


@dataclass(frozen=True)
class Venv:
    """A virtual environment made for one test module."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def script(self, name: str) -> Path:
        """A console script installed into the environment."""
        return self.path / "bin" / name


FreshVenv = Callable[..., Venv]


@pytest.fixture(scope="session")
def fresh_venv(uv, wheelhouse) -> FreshVenv:
    """``fresh_venv(path, *requirements) -> Venv``: a new virtual environment at ``path``
    built from the interpreter running the tests, holding the lock's third-party pins
    and then ``requirements`` (wheel paths, or ``Wheelhouse.requirement(...)`` strings
    for extras), installed offline."""

    def make(path: Path, *requirements: str | Path) -> Venv:
        venv = Venv(path)
        _run(uv, "venv", "--offline", "--quiet", "--python", sys.executable, path)
        _run(
            uv,
            "pip",
            "install",
            "--offline",
            "--no-deps",
            "--python",
            venv.python,
            "--requirement",
            wheelhouse.pins,
        )
        if requirements:
            _run(uv, "pip", "install", "--offline", "--python", venv.python, *requirements)
        return venv

    return make


@pytest.fixture(scope="session")
def upstream_servers() -> Iterator[list[FakeUpstream]]:
    """Three fake upstreams for the session; tests take them through ``upstreams``."""
    servers = [FakeUpstream().start() for _ in range(3)]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def upstreams(upstream_servers: list[FakeUpstream]) -> Iterator[list[FakeUpstream]]:
    """Three running fake upstreams with nothing scripted and nothing recorded."""
    for server in upstream_servers:
        server.clear()
    yield upstream_servers
    for server in upstream_servers:
        server.clear()
