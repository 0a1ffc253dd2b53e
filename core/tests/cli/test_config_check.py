"""`modelmesh config check`: start-up's validation, every problem at once, no secrets shown."""

from __future__ import annotations

import textwrap

import pytest

from modelmesh.cli import main
from modelmesh.install_hints import INSTALL_HINTS
from modelmesh.interfaces.connector import ConnectorType

PLUGIN = """
import modelmesh


class Connector:
    \"\"\"Accepts any options.\"\"\"

    def __init__(self, options):
        self.options = options


class Store(Connector):
    SECRETS = {{"acme-key": "sk-live-do-not-print"}}

    def get(self, name):
        return self.SECRETS[name]


@modelmesh.hookimpl
def modelmesh_register_providers(register):
    register("{p}.llm.v1", Connector)


@modelmesh.hookimpl
def modelmesh_register_rotation_policies(register):
    register("{p}.pick.v1", Connector)


@modelmesh.hookimpl
def modelmesh_register_storage(register):
    register("{p}.kv.v1", Connector)


@modelmesh.hookimpl
def modelmesh_register_observability(register):
    register("{p}.sink.v1", Connector)


@modelmesh.hookimpl
def modelmesh_register_secret_stores(register):
    register("{p}.vault.v1", Store)
"""


@pytest.fixture
def plugin(site):
    """One installed distribution providing every connector the test configs name."""
    module = site.write_module("all", PLUGIN.format(p=site.prefix))
    ids = {
        "modelmesh.provider": [f"{site.prefix}.llm.v1"],
        "modelmesh.rotation": [f"{site.prefix}.pick.v1"],
        "modelmesh.storage": [f"{site.prefix}.kv.v1"],
        "modelmesh.observability": [f"{site.prefix}.sink.v1"],
        "modelmesh.secret_store": [f"{site.prefix}.vault.v1"],
    }
    site.add_distribution(
        "modelmesh-plugin-test-all",
        {group: dict.fromkeys(names, module) for group, names in ids.items()},
    )
    return site


def write(tmp_path, text):
    path = tmp_path / "modelmesh.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def check(capsys, *argv):
    status = main(["config", "check", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def config_text(prefix, api_key="plain-key", strategy=None):
    """A complete file naming only this test's connectors (none of the real plugins)."""
    strategy = strategy or f"{prefix}.pick.v1"
    return textwrap.dedent(f"""
        providers:
          acme:
            connector: {prefix}.llm.v1
            api_key: {api_key}
        models:
          acme.small:
            provider: acme
            capabilities: [chat-completion]
        pools:
          chat:
            strategy: {strategy}
            models: [acme.small]
        storage:
          connector: {prefix}.kv.v1
        observability:
          connector: {prefix}.sink.v1
        """)


def test_a_valid_file_with_installed_connectors_passes(capsys, tmp_path, plugin):
    path = write(tmp_path, config_text(plugin.prefix))

    status, out, _ = check(capsys, path)

    assert status == 0
    assert out == f"{path}: OK (1 provider, 1 model, 1 pool)\n"


def test_every_problem_is_listed_with_file_line_and_path(capsys, tmp_path, plugin):
    path = write(
        tmp_path,
        """
        pools:
          chat:
            models: [acme.nope]
            retry:
              max_attempts: zero
        proxi: {}
        """,
    )

    status, _, err = check(capsys, path)

    assert status == 1
    assert err.startswith(f"{path}: 3 problems\n")
    assert f"{path}:4: pools.chat.models[0]" in err
    assert f"{path}:6: pools.chat.retry.max_attempts" in err
    assert f"{path}:7: proxi: unknown key 'proxi' (did you mean 'proxy'?)" in err


def test_a_connector_that_is_not_installed_names_the_distribution(
    capsys, tmp_path, plugin, monkeypatch
):
    # A first-party strategy whose distribution this environment does not have.
    monkeypatch.setitem(
        INSTALL_HINTS,
        (ConnectorType.ROTATION, "modelmesh.absent-strategy.v1"),
        "modelmesh-plugin-absent-strategy",
    )
    path = write(tmp_path, config_text(plugin.prefix, strategy="modelmesh.absent-strategy.v1"))

    status, _, err = check(capsys, path)

    assert status == 1
    assert "pools.chat.strategy" in err
    assert "pip install modelmesh-plugin-absent-strategy" in err


def test_a_connector_denied_by_the_file_is_reported_as_disabled(capsys, tmp_path, plugin):
    path = write(
        tmp_path,
        config_text(plugin.prefix) + f"\nplugins:\n  deny: ['{plugin.prefix}.*']\n",
    )

    status, _, err = check(capsys, path)

    assert status == 1
    assert "providers.acme.connector" in err
    assert "disabled" in err
    assert "plugins:" in err


def test_secrets_are_resolved_through_the_configured_store(capsys, tmp_path, plugin):
    text = config_text(plugin.prefix, api_key="${secrets:acme-key}")
    path = write(tmp_path, text + f"\nsecrets:\n  store: {plugin.prefix}.vault.v1\n")

    status, out, err = check(capsys, path)

    assert status == 0, err
    assert "sk-live" not in out + err


def test_a_missing_secret_is_named_and_no_value_is_printed(capsys, tmp_path, plugin):
    text = config_text(plugin.prefix, api_key="${secrets:other-key}")
    path = write(tmp_path, text + f"\nsecrets:\n  store: {plugin.prefix}.vault.v1\n")

    status, _, err = check(capsys, path)

    assert status == 1
    assert "'other-key' not found" in err
    assert "providers.acme.api_key" in err
    assert "sk-live" not in err


def test_no_secrets_skips_the_store_entirely(capsys, tmp_path, plugin):
    text = config_text(plugin.prefix, api_key="${secrets:acme-key}")
    path = write(tmp_path, text + "\nsecrets:\n  store: acme.not-installed.v1\n")

    status, _, err = check(capsys, path, "--no-secrets")

    assert status == 0, err


def test_a_missing_file_says_what_to_do(capsys, tmp_path):
    status, _, err = check(capsys, str(tmp_path / "absent.yaml"))

    assert status == 1
    assert "configuration file not found" in err
