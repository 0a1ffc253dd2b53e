"""Directory connector packages: a manifest plus plugin modules, imported in place."""

from __future__ import annotations

import os
import sys

import pytest

from modelmesh.errors import DuplicateConnectorError, PackageError


def test_directory_package_registers_its_connectors(package_registry, package_files, tmp_path):
    package = package_files()
    root = package.write_directory(tmp_path / "pkg")

    ids = package_registry.load_package(str(root))

    assert ids == package.ids
    built = package_registry.create(package.ids[0], {"region": "eu"})
    assert built.options == {"region": "eu"}
    assert built.greeting == "hello"


def test_package_modules_are_imported_without_touching_sys_path(
    package_registry, package_files, tmp_path
):
    root = package_files().write_directory(tmp_path / "pkg")
    before = list(sys.path)

    package_registry.load_package(str(root))

    assert sys.path == before


def test_package_module_joins_the_plugin_manager_under_its_qualified_name(
    package_registry, package_files, tmp_path
):
    package = package_files()
    package_registry.load_package(str(package.write_directory(tmp_path / "pkg")))

    module = sys.modules[f"{package.module}.provider"]
    assert package_registry.plugin_manager.get_plugin(f"provider:{package.ids[0]}") is module
    assert package_registry.plugin_for(package.ids[0]) is module


def test_package_connectors_are_listed_from_the_manifest(package_registry, package_files, tmp_path):
    package = package_files()
    package_registry.load_package(str(package.write_directory(tmp_path / "pkg")))

    [info] = package_registry.list_connectors()

    assert (info.source, info.version, info.description, info.distribution) == (
        "package",
        "1.2.3",
        "Connectors of Acme",
        "acme-connectors",
    )
    assert info.module == f"{package.module}.provider"


def test_loading_a_package_twice_runs_it_once(package_registry, package_files, tmp_path):
    package = package_files()
    root = package.write_directory(tmp_path / "pkg")

    first = package_registry.load_package(str(root))
    second = package_registry.load_package(str(root))

    assert first == second
    assert len(package_registry.plugin_manager.get_plugins()) == 1


def test_one_package_may_hold_several_connectors(package_registry, package_files, prefix, tmp_path):
    package = package_files(ids=[f"{prefix}.one.v1", f"{prefix}.two.v1"])

    ids = package_registry.load_package(str(package.write_directory(tmp_path / "pkg")))

    assert ids == package.ids
    assert len(package_registry.list_connectors()) == 2


def test_missing_path_is_refused(package_registry, tmp_path):
    with pytest.raises(PackageError, match="not found"):
        package_registry.load_package(str(tmp_path / "nowhere"))


def test_missing_manifest_names_the_file(package_registry, package_files, tmp_path):
    package = package_files()
    root = package.write_directory(tmp_path / "pkg")
    (root / "modelmesh-package.toml").unlink()

    with pytest.raises(PackageError, match=r"no modelmesh-package\.toml"):
        package_registry.load_package(str(root))
    assert not package.marker.exists()


@pytest.mark.parametrize(
    ("manifest", "key"),
    [
        ("[package\n", "not valid TOML"),
        ('[[connectors]]\nid = "a.b.v1"\ntype = "provider"\nmodule = "m"\n', "[package]"),
        ('[package]\nname = "x"\n[[connectors]]\n', "package.version"),
        ('[package]\nname = "x"\nversion = "1"\n', "connectors"),
        (
            '[package]\nname = "x"\nversion = "1"\n'
            '[[connectors]]\nid = "a.b.v1"\ntype = "gizmo"\nmodule = "m"\n',
            "connectors[0].type",
        ),
        (
            '[package]\nname = "x"\nversion = "1"\n'
            '[[connectors]]\nid = "A.B"\ntype = "provider"\nmodule = "m"\n',
            "connectors[0].id",
        ),
        (
            '[package]\nname = "x"\nversion = "1"\n'
            '[[connectors]]\nid = "a.b.v1"\ntype = "provider"\nmodule = "m-1"\n',
            "connectors[0].module",
        ),
        (
            '[package]\nname = "x"\nversion = "1"\n'
            '[[connectors]]\nid = "a.b.v1"\ntype = "provider"\nmodule = "m"\n'
            '[[connectors]]\nid = "a.b.v1"\ntype = "provider"\nmodule = "m"\n',
            "connectors[1].id",
        ),
    ],
)
def test_invalid_manifest_names_file_and_key(
    package_registry, package_files, tmp_path, manifest, key
):
    package = package_files()
    root = package.write_directory(tmp_path / "pkg")
    (root / "modelmesh-package.toml").write_text(manifest)

    with pytest.raises(PackageError) as caught:
        package_registry.load_package(str(root))

    assert str(root / "modelmesh-package.toml") in str(caught.value)
    assert key in str(caught.value)
    assert not package.marker.exists()


def test_symlink_escaping_the_directory_is_refused(package_registry, package_files, tmp_path):
    package = package_files()
    root = package.write_directory(tmp_path / "pkg")
    (tmp_path / "outside.py").write_text("SECRET = 1\n")
    os.symlink(tmp_path / "outside.py", root / package.module / "outside.py")

    with pytest.raises(PackageError, match="outside the package"):
        package_registry.load_package(str(root))
    assert not package.marker.exists()


def test_symlink_inside_the_directory_is_accepted(package_registry, package_files, tmp_path):
    package = package_files()
    root = package.write_directory(tmp_path / "pkg")
    os.symlink(root / package.module / "helpers.py", root / package.module / "alias.py")

    assert package_registry.load_package(str(root)) == package.ids


def test_module_already_imported_from_elsewhere_is_refused(package_registry, tmp_path):
    root = tmp_path / "pkg"
    (root / "json").mkdir(parents=True)
    (root / "json" / "__init__.py").write_text("")
    (root / "modelmesh-package.toml").write_text(
        '[package]\nname = "shadow"\nversion = "1"\n'
        '[[connectors]]\nid = "shadow.json.v1"\ntype = "provider"\nmodule = "json"\n'
    )

    with pytest.raises(PackageError, match="'json': a module of that name is already imported"):
        package_registry.load_package(str(root))


def test_declared_connector_the_module_does_not_register_is_refused(
    package_registry, package_files, tmp_path
):
    package = package_files()
    extra = package.ids[0].replace(".v1", ".v9")
    root = package.write_directory(tmp_path / "pkg")
    (root / "modelmesh-package.toml").write_text(package.manifest([*package.ids, extra]))

    with pytest.raises(PackageError, match=f"declares provider:{extra}.*did not register it"):
        package_registry.load_package(str(root))
    assert package_registry.list_connectors() == []
    assert package_registry.plugin_manager.get_plugins() == set()


def test_undeclared_registration_is_refused(package_registry, package_files, tmp_path):
    package = package_files()
    extra = package.ids[0].replace(".v1", ".v9")
    root = package.write_directory(tmp_path / "pkg")
    module = root / package.module / "provider.py"
    module.write_text(module.read_text().replace(repr(package.ids), repr([*package.ids, extra])))

    with pytest.raises(PackageError, match="the manifest does not declare"):
        package_registry.load_package(str(root))
    assert package_registry.list_connectors() == []


def test_package_colliding_with_a_registration_is_refused_before_running(
    package_registry, package_files, tmp_path
):
    package = package_files()
    package_registry.register(package.ids[0], dict, connector_type="provider")

    with pytest.raises(DuplicateConnectorError, match=r"acme-connectors 1\.2\.3"):
        package_registry.load_package(str(package.write_directory(tmp_path / "pkg")))
    assert not package.marker.exists()
