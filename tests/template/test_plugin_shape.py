"""Every distribution under plugins/ has the shape of its kind.

A connector plugin is compared with a fresh rendering of the template for its connector
type. The connector code may differ and a plugin may add modules under
``src/<package>/`` and test files under ``tests/``; the rest is the template's: the same
files, the same pyproject layout, an entry point in a ``modelmesh.<type>`` group pointing
at ``<package>.plugin``, the core and the CDK as dependencies, a hatchling build, a test
extra, a conftest that loads the CDK test kit and a conformance test module.

A command plugin (entry points in ``modelmesh.commands`` only) adds a subcommand to
``modelmesh``; the template has no such kind, so it is held to the naming, layout and
build rules alone.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import CONNECTOR_TYPES, Sample

ROOT = Path(__file__).resolve().parents[2]
COMMANDS_GROUP = "modelmesh.commands"
ALL_PLUGINS = sorted(
    p for p in (ROOT / "plugins").glob("*/") if p.is_dir() and not p.name.startswith((".", "_"))
)


GROUPS = {f"modelmesh.{kind}": kind for kind in CONNECTOR_TYPES}
KIT_PLUGIN = "modelmesh_cdk.testing.plugin"
KIT_SUITES = "modelmesh_cdk.testing.suites"
REQUIRED = (
    "pyproject.toml",
    "README.md",
    "src/{package}/__init__.py",
    "src/{package}/plugin.py",
    "src/{package}/py.typed",
    "tests/conftest.py",
)


def project_files(directory: Path) -> set[str]:
    """The project's files as relative POSIX paths, without bytecode caches and hidden
    files (what running its tests leaves behind)."""
    relative = (p.relative_to(directory) for p in directory.rglob("*") if p.is_file())
    return {
        path.as_posix()
        for path in relative
        if not any(part == "__pycache__" or part.startswith(".") for part in path.parts)
    }


def read_pyproject(directory: Path) -> dict:
    return tomllib.loads((directory / "pyproject.toml").read_text(encoding="utf-8"))


def is_command_plugin(directory: Path) -> bool:
    """Whether the distribution's entry points are all ``modelmesh`` subcommands."""
    if not (directory / "pyproject.toml").is_file():
        return False
    groups = read_pyproject(directory).get("project", {}).get("entry-points", {})
    return set(groups) == {COMMANDS_GROUP}


PLUGINS = [p for p in ALL_PLUGINS if not is_command_plugin(p)]
COMMAND_PLUGINS = [p for p in ALL_PLUGINS if is_command_plugin(p)]


def connector_types(pyproject: dict) -> list[str]:
    """The connector types a pyproject declares entry points for, in file order."""
    groups = pyproject.get("project", {}).get("entry-points", {})
    return [GROUPS[group] for group in groups if group in GROUPS]


def shape_problems(project: Path, template: Path) -> list[str]:
    """What keeps ``project`` from having the shape of ``template`` (a rendering of the
    connector template), one sentence each; empty when it has it."""
    if not (project / "pyproject.toml").is_file():
        return ["missing pyproject.toml"]
    pyproject, expected = read_pyproject(project), read_pyproject(template)
    metadata = pyproject.get("project", {})
    name = metadata.get("name", "")
    package = name.replace("-", "_")
    problems = []
    if not name.startswith("modelmesh-plugin-"):
        problems.append(f"[project] name {name!r} does not start with 'modelmesh-plugin-'")

    template_package = expected["project"]["name"].replace("-", "_")
    template_files = {p.replace(template_package, package) for p in project_files(template)}
    files = project_files(project)
    required = [path.format(package=package) for path in REQUIRED]
    problems += [f"missing {path}" for path in required if path not in files]
    problems += [
        f"{path} is not in the template: only modules under src/{package}/ and files "
        "under tests/ may be added"
        for path in sorted(files - template_files)
        if not path.startswith((f"src/{package}/", "tests/"))
    ]
    problems += _test_problems(project, files)
    problems += _pyproject_problems(pyproject, expected, package)
    return problems


def _test_problems(project: Path, files: set[str]) -> list[str]:
    problems = []
    conftest = project / "tests" / "conftest.py"
    if conftest.is_file() and KIT_PLUGIN not in conftest.read_text(encoding="utf-8"):
        problems.append(f"tests/conftest.py does not load the CDK test kit ({KIT_PLUGIN})")
    test_modules = [p for p in files if p.startswith("tests/") and Path(p).name.startswith("test_")]
    if not any(KIT_SUITES in (project / p).read_text(encoding="utf-8") for p in test_modules):
        problems.append(f"no conformance test module: no tests/test_*.py uses {KIT_SUITES}")
    return problems


def _pyproject_problems(pyproject: dict, expected: dict, package: str) -> list[str]:
    problems = []
    for what, have, want in (
        ("top-level tables", pyproject, expected),
        ("[project] keys", pyproject.get("project", {}), expected["project"]),
    ):
        if missing := sorted(set(want) - set(have)):
            problems.append(f"pyproject.toml lacks the template's {what}: {', '.join(missing)}")
        if extra := sorted(set(have) - set(want)):
            problems.append(f"pyproject.toml has {what} the template lacks: {', '.join(extra)}")

    metadata = pyproject.get("project", {})
    groups = metadata.get("entry-points", {})
    connector_groups = [g for g in groups if g in GROUPS]
    if not connector_groups:
        problems.append(
            "no entry point in a modelmesh.<type> group "
            f"({', '.join(GROUPS)}); groups found: {', '.join(groups) or 'none'}"
        )
    for group in connector_groups:
        for connector_id, value in groups[group].items():
            if value.split(":")[0] != f"{package}.plugin":
                problems.append(
                    f"entry point {connector_id!r} in {group} points at {value!r}, "
                    f"not {package}.plugin"
                )

    names = {canonicalize_name(Requirement(d).name) for d in metadata.get("dependencies", [])}
    problems += [
        f"dependencies lack {needed}"
        for needed in ("modelmesh-core", "modelmesh-cdk")
        if needed not in names
    ]
    if "test" not in metadata.get("optional-dependencies", {}):
        problems.append("no 'test' extra in [project.optional-dependencies]")

    build = pyproject.get("build-system", {})
    requires = [canonicalize_name(Requirement(r).name) for r in build.get("requires", [])]
    if build.get("build-backend") != "hatchling.build" or "hatchling" not in requires:
        problems.append("[build-system] is not hatchling (build-backend = 'hatchling.build')")
    return problems


@pytest.fixture(scope="session")
def template_for(rendering):
    """``template_for(connector_type) -> project``: the template rendered for a type."""
    return lambda connector_type: rendering(Sample(connector_type))


@pytest.fixture
def rendered(rendering, tmp_path) -> Path:
    """A rendering of the provider template that a test may change."""
    return shutil.copytree(rendering(Sample("provider")), tmp_path / "project")


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda p: p.name)
def test_plugin_has_the_template_shape(plugin, template_for):
    types = connector_types(read_pyproject(plugin)) if (plugin / "pyproject.toml").is_file() else []

    assert shape_problems(plugin, template_for(types[0] if types else "provider")) == []


@pytest.mark.parametrize("plugin", ALL_PLUGINS, ids=lambda p: p.name)
def test_plugin_directory_is_named_for_its_distribution(plugin):
    assert read_pyproject(plugin)["project"]["name"] == f"modelmesh-plugin-{plugin.name}"


def command_problems(project: Path) -> list[str]:
    """What keeps a command plugin from its shape: a src layout with py.typed and a
    README, tests, each command pointing into its own package, the core as a
    dependency and a hatchling build."""
    pyproject = read_pyproject(project)
    metadata = pyproject["project"]
    package = metadata["name"].replace("-", "_")
    files = project_files(project)
    problems = [
        f"missing {path}"
        for path in ("README.md", f"src/{package}/__init__.py", f"src/{package}/py.typed")
        if path not in files
    ]
    if not any(p.startswith("tests/test_") for p in files):
        problems.append("no tests/test_*.py")
    for name, value in metadata["entry-points"][COMMANDS_GROUP].items():
        if not value.startswith(f"{package}."):
            problems.append(f"command {name!r} points at {value!r}, outside {package}")
    names = {canonicalize_name(Requirement(d).name) for d in metadata.get("dependencies", [])}
    if "modelmesh-core" not in names:
        problems.append("dependencies lack modelmesh-core")
    if pyproject.get("build-system", {}).get("build-backend") != "hatchling.build":
        problems.append("[build-system] is not hatchling (build-backend = 'hatchling.build')")
    return problems


@pytest.mark.parametrize("plugin", COMMAND_PLUGINS, ids=lambda p: p.name)
def test_command_plugin_has_its_shape(plugin):
    assert command_problems(plugin) == []


@pytest.mark.parametrize("connector_type", CONNECTOR_TYPES)
def test_a_fresh_rendering_has_the_template_shape(connector_type, render_sample, template_for):
    project = render_sample(Sample(connector_type, prefix="other"))

    assert shape_problems(project, template_for(connector_type)) == []


def test_a_project_without_its_conftest_lacks_the_shape(rendered, template_for):
    (rendered / "tests" / "conftest.py").unlink()

    assert "missing tests/conftest.py" in shape_problems(rendered, template_for("provider"))


def test_a_project_without_py_typed_lacks_the_shape(rendered, template_for):
    package = Sample("provider").package
    (rendered / "src" / package / "py.typed").unlink()

    assert f"missing src/{package}/py.typed" in shape_problems(rendered, template_for("provider"))


def test_a_project_with_its_entry_point_in_the_wrong_group_lacks_the_shape(rendered, template_for):
    pyproject = rendered / "pyproject.toml"
    group = r"modelmesh\.provider(?=[\"'])"
    text, count = re.subn(group, "modelmesh.providers", pyproject.read_text())
    assert count == 1, "the rendered pyproject names its entry-point group once"
    pyproject.write_text(text)

    problems = shape_problems(rendered, template_for("provider"))

    assert any(
        p.startswith("no entry point in a modelmesh.<type> group") and "modelmesh.providers" in p
        for p in problems
    ), problems
