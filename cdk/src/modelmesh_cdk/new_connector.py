"""``modelmesh new-connector``: render a new plugin distribution from the connector template.

The template (``connector_template``, shipped inside this package) is a cookiecutter
template; this command only collects its answers from flags, checks them before
anything is written, and says what to do next. cookiecutter is an optional dependency
(the ``template`` extra), imported only when the command runs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from pathlib import Path

from modelmesh.connector_ids import is_connector_id

CONNECTOR_TYPES = ("provider", "rotation", "secret_store", "storage", "observability", "discovery")
TEMPLATE_DIR = Path(__file__).with_name("connector_template")
MISSING_COOKIECUTTER = (
    'modelmesh new-connector needs cookiecutter: pip install "modelmesh-cdk[template]"'
)

# The name becomes a distribution name, an import package and a class name, so it starts
# with a letter and keeps to lowercase letters, digits and single inner hyphens.
_PLUGIN_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def input_problem(*, plugin_name: str | None = None, connector_id: str | None = None) -> str | None:
    """What is wrong with a plugin name or connector ID, worded for the user; None when
    both are fine. The template's pre-generation hook applies the same checks to
    answers given at the prompts."""
    if plugin_name is not None and not _PLUGIN_NAME.fullmatch(plugin_name):
        return (
            f"plugin name {plugin_name!r} is not valid: use lowercase letters, digits and "
            "hyphens, starting with a letter (e.g. acme-llm)"
        )
    if connector_id is not None and not is_connector_id(connector_id):
        return (
            f"connector ID {connector_id!r} is not valid: use namespace.name.vN, lowercase, "
            "with hyphens only inside a segment (e.g. acme.llm.v1)"
        )
    return None


def main(argv: list[str]) -> int:
    """Run ``modelmesh new-connector`` with the arguments after the command name."""
    args = _parser().parse_args(argv)
    given = {
        "plugin_name": args.name,
        "connector_type": args.type,
        "connector_id": args.id,
        "description": args.description,
        "author": args.author,
    }
    given = {key: value for key, value in given.items() if value is not None}
    problem = input_problem(plugin_name=args.name, connector_id=args.id)
    if problem is not None:
        return _fail(problem)
    try:
        from cookiecutter.exceptions import CookiecutterException, FailedHookException
        from cookiecutter.main import cookiecutter
    except ImportError:
        print(MISSING_COOKIECUTTER, file=sys.stderr)
        return 1
    try:
        answers = _answers(given, ask=not args.no_input)
    except _RefusedAnswer as refused:
        return _fail(str(refused))
    except EOFError:
        return _fail("the input ended before every answer was given; pass them as flags")
    except KeyboardInterrupt:
        return 130
    target = Path(args.output_dir, f"modelmesh-plugin-{answers['plugin_name']}")
    if target.exists():
        return _fail(f"{target} already exists: choose another --name or --output-dir")
    try:
        created = cookiecutter(
            str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=args.output_dir
        )
    except FailedHookException:
        return 1  # the hook has said which answer it refused; nothing was kept
    except CookiecutterException as exc:
        return _fail(str(exc))
    print(next_steps(Path(created)))
    return 0


def _answers(given: dict[str, str], *, ask: bool) -> dict[str, str]:
    """Every question of the template answered: by a flag, else at cookiecutter's own
    prompt (with the template's default, which may depend on earlier answers), else by
    that default when asking is off. Questions a flag answered are not asked again; a
    refused answer stops at once, before the next question."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import read_user_choice, read_user_variable, render_variable
    from cookiecutter.utils import create_env_with_context

    context = generate_context(context_file=str(TEMPLATE_DIR / "cookiecutter.json"))
    questions = {
        key: raw for key, raw in context["cookiecutter"].items() if not key.startswith("_")
    }
    prompts = context["cookiecutter"].get("__prompts__", {})
    env = create_env_with_context(context)
    unanswered = [key for key in questions if key not in given]
    answers: dict[str, str] = {}
    for key, raw in questions.items():
        if key in given:
            answers[key] = given[key]
            continue
        prefix = f"  [{unanswered.index(key) + 1}/{len(unanswered)}] "
        if isinstance(raw, list):
            answers[key] = read_user_choice(key, raw, prompts, prefix) if ask else raw[0]
        else:
            default = render_variable(env, raw, answers)
            answers[key] = read_user_variable(key, default, prompts, prefix) if ask else default
        if key in ("plugin_name", "connector_id"):
            problem = input_problem(**{key: answers[key]})
            if problem is not None:
                raise _RefusedAnswer(problem)
    return answers


class _RefusedAnswer(Exception):
    """An answer given at a prompt that the template would refuse."""


def _fail(problem: str) -> int:
    print(f"error: {problem}", file=sys.stderr)
    return 1


def next_steps(project: Path) -> str:
    """Where the new distribution is, how to test and install it, and the YAML that
    activates it (the README's own snippet, so the two cannot disagree)."""
    entry_points = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]["entry-points"]
    group, connectors = next(iter(entry_points.items()))
    connector_type = group.removeprefix("modelmesh.")
    (connector_id,) = connectors
    snippet = _YAML_BLOCK.search((project / "README.md").read_text(encoding="utf-8"))
    shown = _shown_path(project)
    lines = [
        f"Created {shown}: the {connector_type} connector {connector_id}.",
        "",
        "Next steps:",
        f"  cd {shown}",
        '  pip install -e ".[test]"      # or: uv pip install -e ".[test]"',
        "  pytest",
        "",
        "Then name it in your ModelMesh configuration:",
        "",
    ]
    if snippet is not None:
        lines += [f"  {line}" for line in snippet.group(1).splitlines()]
    return "\n".join(lines)


def _shown_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmesh new-connector",
        description=(
            "Create a ModelMesh plugin distribution holding one connector, its tests and "
            "its entry point. Values not given as flags are asked for, unless --no-input."
        ),
    )
    parser.add_argument("--name", help="plugin name, e.g. acme-llm (-> modelmesh-plugin-acme-llm)")
    parser.add_argument("--type", choices=CONNECTOR_TYPES, help="connector type")
    parser.add_argument("--id", help="connector ID used in YAML, e.g. acme.llm.v1")
    parser.add_argument("--description", help="one-line description")
    parser.add_argument("--author", help="author name")
    parser.add_argument(
        "--output-dir", default=".", help="where to create the distribution (default: .)"
    )
    parser.add_argument(
        "--no-input", action="store_true", help="ask nothing: use the flags and the defaults"
    )
    return parser
