"""Other distributions add `modelmesh` subcommands through the `modelmesh.commands` group."""

from __future__ import annotations

import sys

from modelmesh.cli import main

COMMAND = """
CALLS = []


def run(argv):
    \"\"\"Record the arguments and succeed.\"\"\"
    CALLS.append(list(argv))
    print("ran with", argv)
    return 0
"""


def install_command(site, name="hello", source=COMMAND):
    module = site.write_module("command", source)
    site.add_distribution(
        "modelmesh-extra",
        {"modelmesh.commands": {name: f"{module}:run"}},
        summary="Extra commands for ModelMesh",
    )
    return module


def test_an_installed_command_runs_with_its_own_arguments(capsys, site):
    module = install_command(site)

    status = main(["hello", "--type", "provider", "x"])

    assert status == 0
    assert sys.modules[module].CALLS == [["--type", "provider", "x"]]
    assert "ran with ['--type', 'provider', 'x']" in capsys.readouterr().out


def test_installed_commands_appear_in_the_help_without_being_imported(capsys, site):
    module = install_command(site)

    status = main([])

    err = capsys.readouterr().err
    assert status == 2
    assert "hello" in err
    assert "Extra commands for ModelMesh (from modelmesh-extra)" in err
    assert module not in sys.modules


def test_a_command_that_cannot_be_imported_is_reported(capsys, site):
    install_command(site, source="raise ImportError('needs cookiecutter')\n")

    status = main(["hello"])

    err = capsys.readouterr().err
    assert status == 1
    assert "'hello' from modelmesh-extra cannot be loaded" in err
    assert "needs cookiecutter" in err


def test_builtin_commands_cannot_be_replaced(capsys, site):
    install_command(site, name="plugins")

    status = main(["plugins", "list", "--json"])

    assert status == 0
    assert capsys.readouterr().out.startswith("[")
