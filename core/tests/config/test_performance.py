"""Loading is cheap: a realistic config in milliseconds, and a light import."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from modelmesh.config import load_config


def _realistic_yaml(path: Path) -> Path:
    """About 200 lines: a dozen providers, their models and a few pools."""
    lines = ["secrets:", "  store: modelmesh.env.v1", "providers:"]
    for index in range(12):
        lines += [
            f"  vendor{index}.llm.v1:",
            f"    base_url: https://api{index}.example.com",
            "    timeout: 20s",
            "    budget: {daily_limit: 5, monthly_limit: 100}",
            "    quota: {reset_schedule: monthly}",
        ]
    lines.append("models:")
    for index in range(24):
        lines += [
            f"  vendor{index % 12}.model-{index}:",
            f"    provider: vendor{index % 12}.llm.v1",
            "    capabilities: [generation.text-generation.chat-completion]",
            "    delivery: {streaming: true, batch: false}",
            "    pricing: {input_per_1k_tokens: 0.001, output_per_1k_tokens: 0.002}",
        ]
    lines.append("pools:")
    for name in ("chat", "code", "cheap", "fast"):
        lines += [
            f"  {name}:",
            "    strategy: round-robin",
            "    models: [" + ", ".join(f"vendor{i % 12}.model-{i}" for i in range(0, 24, 3)) + "]",
            "    deactivation: {retry_limit: 3, error_rate_threshold: 0.5}",
            "    recovery: {cooldown: 60s, probe_interval: 5m}",
            "    retry: {max_attempts: 3, initial_delay: 500ms, max_delay: 10s}",
        ]
    lines += ["observability:", "  connector: modelmesh.console.v1", "proxy:", "  port: 8080"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_200_line_config_loads_in_a_few_milliseconds(tmp_path: Path) -> None:
    path = _realistic_yaml(tmp_path / "big.yaml")
    assert 180 <= len(path.read_text().splitlines()) <= 260
    config = load_config(path, environ={})  # the first load generates the cattrs hooks
    assert len(config.models) == 24
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        load_config(path, environ={})
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.025, f"best of 5 loads took {min(timings) * 1000:.1f} ms"


def test_importing_the_config_package_pulls_in_neither_httpx_nor_pluggy() -> None:
    code = (
        "import sys, modelmesh.config; "
        "print(sorted(m for m in ('httpx', 'pluggy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
