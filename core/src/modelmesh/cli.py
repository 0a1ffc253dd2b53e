"""The ``modelmesh`` command.

Listing plugins reads installed metadata only: it imports no plugin module, so it
stays fast with hundreds of plugins and is safe to run next to broken ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from modelmesh import __version__
from modelmesh.errors import ModelMeshError

_TYPE_CHOICES = (
    "provider",
    "rotation",
    "secret_store",
    "storage",
    "observability",
    "discovery",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``modelmesh`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    builtin = {"plugins", "config", "serve"}
    if argv and argv[0] not in builtin and not argv[0].startswith("-"):
        command = _installed_commands().get(argv[0])
        if command is not None:
            return _run_installed(command, argv[1:])
    parser = _build_parser(builtin)
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return 2
    if args.verbose:
        from modelmesh.log import configure_logging

        configure_logging("DEBUG" if args.verbose > 1 else "INFO")
    try:
        return int(args.handler(args, sys.stdout) or 0)
    except ModelMeshError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _installed_commands() -> dict[str, Any]:
    """Subcommands other distributions add (group ``modelmesh.commands``), by name."""
    from modelmesh.entry_points import installed_index

    return dict(installed_index().commands)


def _run_installed(command: Any, argv: list[str]) -> int:
    """Import an installed command only now, and run it with its own arguments."""
    try:
        function = command.load()
    except Exception as exc:
        print(
            f"error: the command {command.name!r} from {command.distribution} cannot be "
            f"loaded: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    return int(function(argv) or 0)


def _build_parser(builtin: set[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmesh",
        description="Capability-driven AI model routing with automatic failover.",
    )
    parser.add_argument("--version", action="version", version=f"modelmesh {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log to stderr (-vv for debug)"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    plugins = commands.add_parser("plugins", help="list and inspect installed connectors")
    plugins.set_defaults(handler=_usage(plugins))
    plugin_commands = plugins.add_subparsers(title="plugin commands", metavar="COMMAND")

    listing = plugin_commands.add_parser(
        "list", help="list installed connectors (reads metadata only, imports no plugin)"
    )
    listing.add_argument("--type", choices=_TYPE_CHOICES, help="only connectors of this type")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=_plugins_list)

    info = plugin_commands.add_parser("info", help="show one connector, loading its plugin")
    info.add_argument("connector_id", metavar="ID", help="connector ID, e.g. openai.llm.v1")
    info.add_argument("--type", choices=_TYPE_CHOICES, help="disambiguate an ID used by two types")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.set_defaults(handler=_plugins_info)

    config = commands.add_parser("config", help="work with configuration files")
    config.set_defaults(handler=_usage(config))
    config_commands = config.add_subparsers(title="config commands", metavar="COMMAND")
    check = config_commands.add_parser(
        "check", help="validate a YAML file; exit 1 listing every problem"
    )
    check.add_argument("file", metavar="FILE", help="path of the YAML configuration")
    check.add_argument(
        "--no-secrets",
        action="store_true",
        help="do not resolve ${secrets:NAME} references (no secret store access)",
    )
    check.set_defaults(handler=_config_check)

    serve = commands.add_parser(
        "serve",
        help="run the OpenAI-compatible proxy (needs modelmesh-core[proxy])",
        description="Serve /v1/chat/completions, /v1/embeddings, /v1/models and /health. "
        "Flags replace the values of the YAML's proxy: section.",
    )
    serve.add_argument(
        "--config",
        metavar="FILE",
        help="YAML configuration (default: detect providers from API-key variables)",
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port to listen on, 0 for any free one")
    serve.add_argument(
        "--token",
        action="append",
        metavar="TOKEN",
        help="bearer token clients must send; repeat for several (needed off loopback)",
    )
    serve.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"), type=str.upper)
    serve.set_defaults(handler=_serve)

    for name, command in sorted(_installed_commands().items()):
        if name not in builtin:
            commands.add_parser(
                name, add_help=False, help=f"{command.summary} (from {command.distribution})"
            )
    return parser


def _usage(parser: argparse.ArgumentParser) -> Any:
    """A handler for a command group given without its subcommand."""

    def handler(_args: argparse.Namespace, _out: TextIO) -> int:
        parser.print_help(sys.stderr)
        return 2

    return handler


# --- plugins ------------------------------------------------------------------------


def _info_record(info: Any) -> dict[str, Any]:
    return {
        "id": info.id,
        "type": info.connector_type.value,
        "version": info.version,
        "description": info.description,
        "distribution": info.distribution,
        "module": info.module,
        "source": info.source,
        "enabled": info.enabled,
    }


def _plugins_list(args: argparse.Namespace, out: TextIO) -> int:
    from modelmesh.registry import ConnectorRegistry

    records = [_info_record(i) for i in ConnectorRegistry().list_connectors(args.type)]
    if args.json:
        json.dump(records, out, indent=2)
        out.write("\n")
        return 0
    if not records:
        kind = f"{args.type} " if args.type else ""
        out.write(
            f"No {kind}connectors installed. Connectors ship as separate distributions, "
            "for example: pip install modelmesh-plugin-openai\n"
        )
        return 0
    rows = [
        (
            r["type"],
            r["id"],
            r["distribution"] or "-",
            r["version"],
            "enabled" if r["enabled"] else "disabled",
            r["description"] or "",
        )
        for r in records
    ]
    _write_table(out, ("TYPE", "ID", "DISTRIBUTION", "VERSION", "STATUS", "DESCRIPTION"), rows)
    return 0


def _plugins_info(args: argparse.Namespace, out: TextIO) -> int:
    from modelmesh.connector_ids import parse_connector_id
    from modelmesh.registry import ConnectorRegistry

    registry = ConnectorRegistry()
    parsed = parse_connector_id(args.connector_id)
    kind = args.type or (parsed.connector_type.value if parsed.connector_type else None)
    implementation = registry.get_connector(parsed.id, connector_type=kind)
    matches = [i for i in registry.list_connectors(kind) if i.id == parsed.id]
    record = _info_record(matches[0]) if matches else {"id": parsed.id}
    plugin = registry.plugin_for(parsed.id, connector_type=kind)
    record["implementation"] = _qualified_name(implementation)
    record["summary"] = _first_line(getattr(implementation, "__doc__", None))
    record["hooks"] = (
        sorted(caller.name for caller in registry.plugin_manager.get_hookcallers(plugin) or ())
        if plugin is not None
        else []
    )
    if args.json:
        json.dump(record, out, indent=2)
        out.write("\n")
        return 0
    width = max(len(k) for k in record)
    for key, value in record.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        out.write(f"{key.ljust(width)}  {'-' if shown in (None, '') else shown}\n")
    return 0


def _qualified_name(obj: Any) -> str:
    target = obj if isinstance(obj, type) or callable(obj) else type(obj)
    module = getattr(target, "__module__", "?")
    return f"{module}.{getattr(target, '__qualname__', repr(target))}"


def _first_line(doc: str | None) -> str:
    return doc.strip().splitlines()[0] if doc and doc.strip() else ""


# --- config -------------------------------------------------------------------------


def _config_check(args: argparse.Namespace, out: TextIO) -> int:
    from modelmesh.config import ConfigError
    from modelmesh.config.connectors import load_with_registry

    try:
        config, _registry = load_with_registry(args.file, resolve_secrets=not args.no_secrets)
    except ConfigError as exc:
        count = len(exc.issues)
        print(f"{args.file}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return 1
    out.write(
        f"{args.file}: OK ({_count(config.providers, 'provider')}, "
        f"{_count(config.models, 'model')}, {_count(config.pools, 'pool')})\n"
    )
    return 0


def _count(items: Any, noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"


# --- serve --------------------------------------------------------------------------


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is no port: use 0 to 65535")
    return port


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from modelmesh.proxy import ProxyServer

    if args.log_level:
        from modelmesh.log import configure_logging

        configure_logging(args.log_level)
    config: Any = args.config
    if config is None:
        config = _detected_config(out)
        if config is None:
            return 1
    server = ProxyServer(config, host=args.host, port=args.port, tokens=args.token)

    def ready(server: ProxyServer) -> None:
        out.write(f"Pools: {', '.join(server.mesh.list_pools()) or 'none'}\n")
        out.write(f"ModelMesh proxy listening on {server.url}\n")
        out.flush()

    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(server.serve(ready))
    return 0


def _loop_factory() -> Any:
    """uvloop's loop where it is installed (it comes with the proxy extra off Windows)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _detected_config(out: TextIO) -> dict[str, Any] | None:
    """A one-pool configuration (``chat-completion``) from the providers the environment
    offers, after saying what was found; None, after saying what to set, when nothing is."""
    from modelmesh.autodetect import KNOWN_PROVIDERS, build_config, scan

    detection = scan()
    for missing in detection.missing:
        hint = f": {missing.install}" if missing.install else ""
        print(
            f"{missing.env_var} is set, but connector {missing.connector_id} is not "
            f"installed{hint}",
            file=sys.stderr,
        )
    if not detection.found:
        keys = ", ".join(e.env_var for e in KNOWN_PROVIDERS if not e.host)
        hosts = ", ".join(e.env_var for e in KNOWN_PROVIDERS if e.host)
        print(
            "No --config given and no provider found in the environment.\n"
            f"Set an API key variable ({keys})\n"
            f"or a local server variable ({hosts}, e.g. OLLAMA_HOST=http://localhost:11434),\n"
            "or give a configuration: modelmesh serve --config modelmesh.yaml",
            file=sys.stderr,
        )
        return None
    out.write("No --config given; serving the pool 'chat-completion' with:\n")
    for found in detection.found:
        models = ", ".join(m.id for m in found.models) or "no default models"
        out.write(f"  {found.env_var}: {found.connector_id} ({models})\n")
    return build_config(("chat-completion",), detected=detection)


# --- output -------------------------------------------------------------------------


def _write_table(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    for row in (header, *rows):
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=False)]
        out.write("  ".join(cells).rstrip() + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
