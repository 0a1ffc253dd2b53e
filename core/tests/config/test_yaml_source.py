"""Reading YAML: line numbers, duplicate keys, syntax errors, empty and odd files."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelmesh.config import ConfigError, MeshConfig, load_config
from modelmesh.config.issues import IssueLog
from modelmesh.config.yaml_source import parse_yaml


def test_every_key_and_item_knows_its_line() -> None:
    log = IssueLog()
    parse_yaml("pools:\n  chat:\n    models:\n      - a\n      - b\n", log)
    assert log.lines[("pools",)] == 1
    assert log.lines[("pools", "chat", "models")] == 3
    assert log.lines[("pools", "chat", "models", 1)] == 5


def test_a_duplicate_key_is_an_issue_naming_both_lines(write_yaml, config_issues) -> None:
    path = write_yaml(
        """
        proxy:
          port: 8080
          host: 127.0.0.1
          port: 9090
        """
    )
    issue = config_issues(path)["proxy.port"]
    assert issue.line == 4
    assert "duplicate key 'port' (first defined on line 2)" in issue.message


def test_a_syntax_error_names_file_and_line(write_yaml) -> None:
    path = write_yaml("proxy:\n  port: 8080\n  host: [unclosed\nmodels: {}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (issue,) = raised.value.issues
    assert issue.file == str(path)
    assert issue.line == 4
    assert str(issue).startswith(f"{path}:4: YAML syntax error")


def test_an_empty_file_is_the_default_config(write_yaml) -> None:
    config = load_config(write_yaml("# nothing configured yet\n"))
    assert config == MeshConfig()


def test_a_top_level_list_is_an_issue(write_yaml) -> None:
    with pytest.raises(ConfigError, match="a configuration is a mapping of sections"):
        load_config(write_yaml("- providers\n- pools\n"))


def test_a_missing_file_names_the_path_and_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as raised:
        load_config(missing)
    message = str(raised.value)
    assert message.startswith(str(missing))
    assert "not found" in message
    assert "create the file" in message


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_yaml_merge_keys_work_and_explicit_keys_win(write_yaml) -> None:
    path = write_yaml(
        """
        pools:
          base: &base
            strategy: round-robin
            latency_window: 10
          chat:
            <<: *base
            latency_window: 20
        """
    )
    chat = load_config(path).pools["chat"]
    assert chat.strategy == "modelmesh.round-robin.v1"
    assert chat.latency_window == 20


def test_issues_in_a_file_carry_the_line_of_the_key(write_yaml, config_issues) -> None:
    path = write_yaml(
        """
        pools:
          chat:
            retry:
              max_attempts: 0
        """
    )
    issue = config_issues(path)["pools.chat.retry.max_attempts"]
    assert (issue.file, issue.line) == (str(path), 4)


def test_issues_from_a_mapping_have_no_file_or_line(config_issues) -> None:
    issue = config_issues({"proxy": {"port": 0}})["proxy.port"]
    assert (issue.file, issue.line) == (None, None)
    assert str(issue) == "proxy.port: must be between 1 and 65535, got 0"
