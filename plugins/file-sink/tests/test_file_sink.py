"""The file sink end to end: YAML options, the local-file alias beside the storage of
the same ID, and a mesh writing its records to a rotated file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from modelmesh.config import load_config
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.interfaces.observability import Severity
from modelmesh.mesh import ModelMesh
from modelmesh.registry import ConnectorRegistry
from modelmesh_cdk.testing.suites.observability import TRACE
from modelmesh_plugin_file_sink.connector import FileSinkObservability

ALIAS = "modelmesh.local-file.v1"


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_alias_is_this_sink_in_observability_and_the_file_storage_in_storage():
    registry = ConnectorRegistry()
    sink = registry.get_connector(ALIAS, connector_type=ConnectorType.OBSERVABILITY)
    storage = registry.get_connector(ALIAS, connector_type=ConnectorType.STORAGE)
    assert sink is FileSinkObservability
    assert storage.__module__.startswith("modelmesh_plugin_file_storage")


def test_both_ids_are_listed_with_this_distribution():
    listed = ConnectorRegistry().list_connectors(ConnectorType.OBSERVABILITY)
    ours = {info.id for info in listed if info.distribution == "modelmesh-plugin-file-sink"}
    assert ours == {"modelmesh.file.v1", ALIAS}


def test_a_mesh_built_from_yaml_writes_to_the_sink_and_keeps_state_in_the_storage(
    tmp_path: Path,
):
    config = tmp_path / "modelmesh.yaml"
    config.write_text(
        f"""
storage:
  connector: {ALIAS}
  path: {tmp_path / "state"}
  sync_policy: sync-on-boundary
observability:
  connector: {ALIAS}
  path: {tmp_path / "records.jsonl"}
  min_severity: debug
""",
        encoding="utf-8",
    )

    async def run() -> None:
        mesh = ModelMesh()
        await mesh.initialize(config)
        mesh.get_router().observer.trace(Severity.DEBUG, "mesh", "written through the alias")
        await mesh.shutdown()

    asyncio.run(run())
    assert (tmp_path / "state").is_dir()
    assert [r["message"] for r in records(tmp_path / "records.jsonl")] == [
        "written through the alias"
    ]


def test_the_reference_spellings_load_from_yaml(tmp_path: Path):
    config = load_config(
        {
            "observability": {
                "connector": "modelmesh.file.v1",
                "file_path": str(tmp_path / "mesh.log"),
                "max_file_size_bytes": 300,
                "backup_count": 1,
                "flush_each_line": True,
            }
        },
        resolve_secrets=False,
    )
    (entry,) = config.observability.sinks
    sink = ConnectorRegistry().create(
        entry.connector, entry.options, connector_type=ConnectorType.OBSERVABILITY
    )
    for _ in range(6):
        sink.trace(TRACE)
    asyncio.run(sink.close())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mesh.log", "mesh.log.1"]
    assert all(p.stat().st_size <= 300 for p in tmp_path.iterdir())


def test_the_options_the_mesh_passes_every_sink_are_taken(tmp_path: Path):
    sink = FileSinkObservability(
        {"path": str(tmp_path / "mesh.log"), "log_level": "summary", "min_severity": "error"}
    )
    asyncio.run(sink.close())
    assert (sink.config.log_level.value, sink.config.min_severity) == ("summary", Severity.ERROR)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"max_bytes": 0}, "max_bytes"),
        ({"backups": -1}, "backups"),
        ({"max_size": 10}, "max_size"),
        ({"append": "yes"}, "append"),
    ],
)
def test_a_bad_option_is_refused_by_name(tmp_path: Path, options: dict, named: str):
    with pytest.raises(ConfigurationError, match=named):
        FileSinkObservability({"path": str(tmp_path / "mesh.log"), **options})


def test_a_new_sink_starts_the_file_afresh_without_append(tmp_path: Path):
    path = tmp_path / "mesh.log"
    path.write_text('{"type": "old"}\n', encoding="utf-8")
    sink = FileSinkObservability({"path": str(path), "append": False})
    sink.trace(TRACE)
    asyncio.run(sink.close())
    assert [r["type"] for r in records(path)] == ["trace"]
