"""`modelmesh serve` argument handling, without starting a server."""

from __future__ import annotations

import pytest

from modelmesh.autodetect import KNOWN_PROVIDERS
from modelmesh.cli import main


def test_serve_lists_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    assert exited.value.code == 0
    usage = capsys.readouterr().out
    for flag in ("--config", "--host", "--port", "--token", "--log-level"):
        assert flag in usage


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", port])
    assert exited.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_without_config_and_without_variables_it_names_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for entry in KNOWN_PROVIDERS:
        monkeypatch.delenv(entry.env_var, raising=False)
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err
    assert "modelmesh serve --config" in err
