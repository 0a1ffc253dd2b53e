"""``modelmesh new-connector`` run in process: flags, validation, the rendered file set and
what it tells the user next. Running the rendered projects' own tests in a fresh
environment is the cross-package template test's job."""

from __future__ import annotations

import io
import sys
import tomllib
from pathlib import Path

import pytest

from modelmesh_cdk.new_connector import CONNECTOR_TYPES, MISSING_COOKIECUTTER, TEMPLATE_DIR, main

FILES = {
    "README.md",
    "pyproject.toml",
    "src/{package}/__init__.py",
    "src/{package}/connector.py",
    "src/{package}/plugin.py",
    "src/{package}/py.typed",
    "tests/conftest.py",
    "tests/test_conformance.py",
    "tests/test_discovery.py",
}
SUITES = {
    "provider": "ProviderTests",
    "rotation": "RotationPolicyTests",
    "secret_store": "SecretStoreTests",
    "storage": "StorageTests",
    "observability": "ObservabilityTests",
    "discovery": "DiscoveryTests",
}
HOOKS = {
    "provider": "modelmesh_register_providers",
    "rotation": "modelmesh_register_rotation_policies",
    "secret_store": "modelmesh_register_secret_stores",
    "storage": "modelmesh_register_storage",
    "observability": "modelmesh_register_observability",
    "discovery": "modelmesh_register_discovery",
}
YAML_SECTIONS = {
    "provider": "providers:",
    "rotation": "pools:",
    "secret_store": "secrets:",
    "storage": "storage:",
    "observability": "observability:",
    "discovery": "discovery:",
}


@pytest.fixture(autouse=True)
def cookiecutter_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Keep cookiecutter's replay files out of the real home directory."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(f"replay_dir: {home / 'replay'}\ncookiecutters_dir: {home / 'cc'}\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))


def new_connector(tmp_path: Path, *flags: str) -> int:
    return main([*flags, "--output-dir", str(tmp_path)])


def files_under(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


# --- rendering ---------------------------------------------------------------------


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_renders_exactly_the_distribution_files(tmp_path, capsys, connector_type):
    assert (
        new_connector(tmp_path, "--no-input", "--name", "acme-llm", "--type", connector_type) == 0
    )
    assert [path.name for path in tmp_path.iterdir()] == ["modelmesh-plugin-acme-llm"]
    project = tmp_path / "modelmesh-plugin-acme-llm"
    package = "modelmesh_plugin_acme_llm"
    assert files_under(project) == {name.format(package=package) for name in FILES}
    assert (project / "src" / package / "py.typed").read_bytes() == b""


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_the_entry_point_names_the_id_in_the_group_of_its_type(tmp_path, capsys, connector_type):
    new_connector(tmp_path, "--no-input", "--name", "acme-llm", "--type", connector_type)
    project = tmp_path / "modelmesh-plugin-acme-llm"
    metadata = tomllib.loads((project / "pyproject.toml").read_text())
    assert metadata["project"]["entry-points"] == {
        f"modelmesh.{connector_type}": {"acme.llm.v1": "modelmesh_plugin_acme_llm.plugin"}
    }
    assert metadata["project"]["name"] == "modelmesh-plugin-acme-llm"
    assert metadata["project"]["version"] == "0.1.0"
    assert metadata["project"]["dependencies"] == [
        "modelmesh-core>=0.1,<0.2",
        "modelmesh-cdk>=0.1,<0.2",
    ]
    assert metadata["project"]["optional-dependencies"]["test"] == [
        "modelmesh-cdk[testing]>=0.1,<0.2",
        "pytest>=8",
    ]
    assert metadata["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [
        "src/modelmesh_plugin_acme_llm"
    ]


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_the_rendered_python_is_valid_and_wired_to_its_type(tmp_path, capsys, connector_type):
    new_connector(tmp_path, "--no-input", "--name", "acme-llm", "--type", connector_type)
    project = tmp_path / "modelmesh-plugin-acme-llm"
    class_name = "AcmeLlm" + connector_type.title().replace("_", "")
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    assert (
        f"class {class_name}("
        in (project / "src/modelmesh_plugin_acme_llm/connector.py").read_text()
    )
    plugin = (project / "src/modelmesh_plugin_acme_llm/plugin.py").read_text()
    assert f"def {HOOKS[connector_type]}(" in plugin
    assert f'register("acme.llm.v1", {class_name})' in plugin
    conformance = (project / "tests/test_conformance.py").read_text()
    assert f"class Test{class_name}({SUITES[connector_type]}):" in conformance
    conftest = (project / "tests/conftest.py").read_text()
    assert 'pytest_plugins = ["modelmesh_cdk.testing.plugin"]' in conftest


def test_defaults_without_any_flag(tmp_path, capsys):
    assert new_connector(tmp_path, "--no-input") == 0
    project = tmp_path / "modelmesh-plugin-acme-llm"
    metadata = tomllib.loads((project / "pyproject.toml").read_text())
    assert metadata["project"]["entry-points"] == {
        "modelmesh.provider": {"acme.llm.v1": "modelmesh_plugin_acme_llm.plugin"}
    }
    assert metadata["project"]["description"] == "A ModelMesh provider connector"


@pytest.mark.parametrize(
    ("name", "connector_type", "connector_id", "class_name"),
    [
        ("my-cool-llm", "secret_store", "my.cool-llm.v1", "MyCoolLlmSecretStore"),
        ("acme", "storage", "acme.storage.v1", "AcmeStorage"),
        ("vault2", "secret_store", "vault2.secret-store.v1", "Vault2SecretStore"),
    ],
)
def test_names_derived_from_the_plugin_name(
    tmp_path, capsys, name, connector_type, connector_id, class_name
):
    assert new_connector(tmp_path, "--no-input", "--name", name, "--type", connector_type) == 0
    project = tmp_path / f"modelmesh-plugin-{name}"
    package = f"modelmesh_plugin_{name.replace('-', '_')}"
    metadata = tomllib.loads((project / "pyproject.toml").read_text())
    assert metadata["project"]["entry-points"][f"modelmesh.{connector_type}"] == {
        connector_id: f"{package}.plugin"
    }
    assert f"class {class_name}(" in (project / "src" / package / "connector.py").read_text()


def test_flags_fill_every_answer(tmp_path, capsys):
    flags = ["--name", "acme-kv", "--type", "storage", "--id", "acme.key-value.v2"]
    flags += ["--description", 'Acme\'s "KV" store', "--author", "Zoë"]
    assert new_connector(tmp_path, "--no-input", *flags) == 0
    metadata = tomllib.loads((tmp_path / "modelmesh-plugin-acme-kv/pyproject.toml").read_text())
    assert metadata["project"]["description"] == 'Acme\'s "KV" store'
    assert metadata["project"]["authors"] == [{"name": "Zoë"}]
    assert metadata["project"]["entry-points"] == {
        "modelmesh.storage": {"acme.key-value.v2": "modelmesh_plugin_acme_kv.plugin"}
    }


def test_prompts_only_for_what_the_flags_did_not_give(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Acme's catalogue\nAda\n"))
    flags = ["--name", "acme-cat", "--type", "discovery", "--id", "acme.cat.v1"]
    assert new_connector(tmp_path, *flags) == 0
    shown = capsys.readouterr().out
    assert "[1/2]" in shown
    assert "[2/2]" in shown
    assert "[3/" not in shown
    metadata = tomllib.loads((tmp_path / "modelmesh-plugin-acme-cat/pyproject.toml").read_text())
    assert metadata["project"]["description"] == "Acme's catalogue"
    assert metadata["project"]["authors"] == [{"name": "Ada"}]


def test_the_connector_id_default_follows_the_prompted_answers(tmp_path, capsys, monkeypatch):
    # name, type (choice 3 is secret_store), then Enter for the derived ID and the rest
    monkeypatch.setattr(sys, "stdin", io.StringIO("acme-vault\n3\n\n\n\n"))
    assert new_connector(tmp_path) == 0
    metadata = tomllib.loads((tmp_path / "modelmesh-plugin-acme-vault/pyproject.toml").read_text())
    assert metadata["project"]["entry-points"] == {
        "modelmesh.secret_store": {"acme.vault.v1": "modelmesh_plugin_acme_vault.plugin"}
    }


# --- what it says next -------------------------------------------------------------


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_next_steps_name_the_directory_the_commands_and_the_yaml(tmp_path, capsys, connector_type):
    new_connector(tmp_path, "--no-input", "--name", "acme-llm", "--type", connector_type)
    out = capsys.readouterr().out
    project = tmp_path / "modelmesh-plugin-acme-llm"
    assert f"Created {project}" in out
    assert f"cd {project}\n" in out
    assert 'pip install -e ".[test]"' in out
    assert "uv pip install -e" in out
    assert "\n  pytest\n" in out
    yaml = out.split("Then name it in your ModelMesh configuration:", 1)[1]
    assert f"  {YAML_SECTIONS[connector_type]}" in yaml
    assert "acme.llm.v1" in yaml


def test_next_steps_show_a_relative_path_below_the_working_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--no-input"]) == 0
    assert "  cd modelmesh-plugin-acme-llm\n" in capsys.readouterr().out


# --- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Acme", "acme_llm", "-acme", "acme-", "1acme", "acme--llm", ""])
def test_an_invalid_name_is_refused_before_anything_is_written(tmp_path, capsys, name):
    assert new_connector(tmp_path, "--no-input", f"--name={name}") == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert f"plugin name {name!r} is not valid" in captured.err
    assert "lowercase letters, digits and hyphens" in captured.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("connector_id", ["acme.v1", "Acme.llm.v1", "acme.llm", "acme..llm.v1"])
def test_an_invalid_connector_id_is_refused_before_anything_is_written(
    tmp_path, capsys, connector_id
):
    assert new_connector(tmp_path, "--no-input", "--name", "acme-llm", "--id", connector_id) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert f"connector ID {connector_id!r} is not valid" in captured.err
    assert "namespace.name.vN" in captured.err
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_prompted_answer_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("Not Valid\n"))
    assert new_connector(tmp_path, "--type", "storage", "--id", "acme.kv.v1") == 1
    assert "plugin name 'Not Valid' is not valid" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_input_ending_early_is_an_error_not_a_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert new_connector(tmp_path) == 1
    assert "pass them as flags" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_left_alone(tmp_path, capsys):
    existing = tmp_path / "modelmesh-plugin-acme-llm"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me")
    assert new_connector(tmp_path, "--no-input", "--name", "acme-llm") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{existing} already exists" in err
    assert files_under(existing) == {"mine.txt"}


def test_without_cookiecutter_it_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "cookiecutter.main", None)  # import now fails
    assert new_connector(tmp_path, "--no-input") == 1
    assert capsys.readouterr().err == MISSING_COOKIECUTTER + "\n"
    assert MISSING_COOKIECUTTER == (
        'modelmesh new-connector needs cookiecutter: pip install "modelmesh-cdk[template]"'
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_type_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        new_connector(tmp_path, "--type", "router")
    assert exited.value.code == 2
    assert "invalid choice: 'router'" in capsys.readouterr().err


def test_help_lists_every_flag(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    for flag in ("--name", "--type", "--id", "--description", "--author", "--output-dir"):
        assert flag in shown
    assert "--no-input" in shown
    assert "secret_store" in shown


# --- the template used directly ----------------------------------------------------


def test_the_template_ships_inside_the_package():
    assert (TEMPLATE_DIR / "cookiecutter.json").is_file()
    assert (TEMPLATE_DIR / "hooks" / "pre_gen_project.py").is_file()


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ({"plugin_name": "Acme"}, "plugin name 'Acme'"),
        ({"connector_id": "acme"}, "connector ID 'acme'"),
    ],
)
def test_the_templates_hook_refuses_bad_answers_given_to_cookiecutter(
    tmp_path, capfd, answers, named
):
    from cookiecutter.exceptions import FailedHookException
    from cookiecutter.main import cookiecutter

    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(tmp_path)
        )
    assert named in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []
