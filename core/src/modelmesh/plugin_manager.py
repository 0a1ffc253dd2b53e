"""One pluggy PluginManager per registry, with an optional hook-call trace.

There is no global plugin manager: two meshes configured differently in one process
each own theirs. The trace (``MODELMESH_TRACE_HOOKS=1``) answers "which plugin ran,
with what" without a debugger, the way Datasette's ``DATASETTE_TRACE_PLUGINS`` does;
arguments go through ``redact`` first, because hook arguments carry configuration
and configuration carries API keys.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import IO

import pluggy

from modelmesh import hookspecs
from modelmesh.redaction import redact

TRACE_ENV_VAR = "MODELMESH_TRACE_HOOKS"


def build_plugin_manager(
    *, environ: Mapping[str, str] | None = None, trace_stream: IO[str] | None = None
) -> pluggy.PluginManager:
    """A fresh plugin manager holding the ModelMesh hook specs and no plugin.

    Hook calls are traced to ``trace_stream`` (stderr when None) when
    MODELMESH_TRACE_HOOKS is ``1`` in ``environ`` (the process environment when None).
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    env = os.environ if environ is None else environ
    if env.get(TRACE_ENV_VAR) == "1":
        _trace_hook_calls(manager, trace_stream)
    return manager


def _trace_hook_calls(manager: pluggy.PluginManager, stream: IO[str] | None) -> None:
    def write(line: str) -> None:
        # Resolve stderr at call time so redirection after start-up is honoured.
        print(f"[modelmesh hook] {line}", file=stream or sys.stderr, flush=True)

    def before(
        hook_name: str, hook_impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]
    ) -> None:
        plugins = ", ".join(impl.plugin_name for impl in hook_impls) or "(no plugin)"
        write(f"{hook_name} plugins=[{plugins}] kwargs={redact(dict(kwargs))!r}")

    def after(
        outcome: pluggy.Result[object],
        hook_name: str,
        hook_impls: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, object],
    ) -> None:
        if outcome.exception is not None:
            write(f"{hook_name} raised {type(outcome.exception).__name__}")

    manager.add_hookcall_monitoring(before, after)
