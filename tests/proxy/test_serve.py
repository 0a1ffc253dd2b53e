"""``modelmesh serve`` as a process: ready line, SIGTERM drains and saves state, refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import yaml

from modelmesh.autodetect import KNOWN_PROVIDERS
from modelmesh_cdk.testing.fake_upstream import CHAT_PATH, FakeUpstream, ok

from .proxies import MESSAGES, mesh_config

SERVE = [sys.executable, "-m", "modelmesh.cli", "serve"]


def clean_environment() -> dict[str, str]:
    """The environment without any provider variable, so nothing is auto-detected."""
    names = {entry.env_var for entry in KNOWN_PROVIDERS}
    return {key: value for key, value in os.environ.items() if key not in names}


def test_sigterm_lets_the_request_in_flight_finish_then_saves_state(
    upstreams: list[FakeUpstream], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    config = mesh_config(
        upstreams,
        storage={
            "connector": "modelmesh.local-file.v1",
            "path": str(state),
            "sync_policy": "sync-on-boundary",
        },
    )
    path = tmp_path / "modelmesh.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    upstreams[0].script(ok("slow answer", delay=1.0), path=CHAT_PATH)
    server = subprocess.Popen(
        [*SERVE, "--config", str(path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environment(),
    )
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(2)]
        assert lines[0] == "Pools: chat\n"
        assert lines[1].startswith("ModelMesh proxy listening on http://127.0.0.1:")
        url = lines[1].split()[-1]
        answers: list[httpx.Response] = []

        def request() -> None:
            body = {"model": "chat", "messages": MESSAGES}
            answers.append(httpx.post(url + "/v1/chat/completions", json=body, timeout=10))

        client = threading.Thread(target=request)
        client.start()
        deadline = 100
        while not any(r.path == CHAT_PATH for r in upstreams[0].requests) and deadline:
            threading.Event().wait(0.02)
            deadline -= 1
        assert not state.exists()
        server.send_signal(signal.SIGTERM)
        client.join(timeout=10)
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        assert server.stdout is not None
        assert server.stderr is not None
        server.stdout.close()
        server.stderr.close()
    (answer,) = answers
    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"] == "slow answer"
    assert state.exists()
    assert any(state.rglob("*")) if state.is_dir() else state.stat().st_size > 0


def test_a_public_host_without_a_token_is_refused(
    upstreams: list[FakeUpstream], tmp_path: Path
) -> None:
    path = tmp_path / "modelmesh.yaml"
    path.write_text(yaml.safe_dump(mesh_config(upstreams)), encoding="utf-8")
    result = subprocess.run(
        [*SERVE, "--config", str(path), "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=30,
    )
    assert result.returncode == 1
    assert "'0.0.0.0'" in result.stderr
    assert "--token" in result.stderr
    assert "listening" not in result.stdout


def test_without_config_or_provider_variables_it_says_what_to_set() -> None:
    result = subprocess.run(
        SERVE, capture_output=True, text=True, env=clean_environment(), timeout=30
    )
    assert result.returncode == 1
    assert "OPENAI_API_KEY" in result.stderr
    assert "OLLAMA_HOST" in result.stderr
    assert "--config" in result.stderr
