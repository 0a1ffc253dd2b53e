"""Reading YAML so that every key and item knows its line.

PyYAML's loaders forget positions and silently keep the last of two equal keys; we
compose the node graph with the safe loader and build plain values ourselves, which
gives each path a line number and turns duplicate keys into issues.
"""

from __future__ import annotations

from typing import Any

import yaml

from modelmesh.config.issues import IssueLog, Path, describe

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


def parse_yaml(text: str, log: IssueLog) -> Any:
    """Parse text into plain values, filling ``log.lines``; None for an empty document.

    Syntax errors, duplicate keys and unusable keys are recorded in ``log``.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or "invalid YAML"
        context = f" {error.context}" if error.context else ""
        log.add((), f"YAML syntax error: {problem}{context}", line=line)
        return None
    except yaml.YAMLError as error:
        log.add((), f"YAML error: {error}")
        return None
    if node is None:
        return None
    lines: dict[Path, int] = {}
    log.lines = lines
    try:
        return _Builder(loader, log, lines).build(node, ())
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, log: IssueLog, lines: dict[Path, int]) -> None:
        self.loader = loader
        self.log = log
        self.lines = lines
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: Path) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node)
        if id(node) in self.active:
            self.log.add(path, "recursive YAML alias; an alias cannot contain itself")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _sequence(self, node: yaml.SequenceNode, path: Path) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.lines.setdefault((*path, index), item.start_mark.line + 1)
            items.append(self.build(item, (*path, index)))
        return items

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        merged: dict[Any, Any] = {}
        explicit: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE:
                self._merge(value_node, path, merged)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.log.add(path, "a mapping key must be a plain value", line=line)
                continue
            key = self.loader.construct_object(key_node)
            if key in explicit:
                self.log.add(
                    (*path, key),
                    f"duplicate key {describe(key)} (first defined on line {first_line[key]});"
                    " YAML would silently keep only the last one, so remove or rename one",
                    line=line,
                )
                continue
            first_line[key] = line
            self.lines[(*path, key)] = line
            explicit[key] = self.build(value_node, (*path, key))
        return {**merged, **explicit}

    def _merge(self, node: yaml.Node, path: Path, into: dict[Any, Any]) -> None:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.log.add(path, "a YAML merge key ('<<') needs a mapping or a list of them")
                continue
            for key, value in self.build(source, path).items():
                into.setdefault(key, value)
