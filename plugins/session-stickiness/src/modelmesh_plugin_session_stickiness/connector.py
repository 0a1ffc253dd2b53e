"""Keeps each session on one model, with expiry and fallback."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from modelmesh.config.fields import at_least
from modelmesh.config.schema import AffinityMode
from modelmesh.errors import SessionModelUnavailableError
from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    SelectionRequest,
    SelectionResult,
)
from modelmesh_cdk.base.pool_rotation import (
    PoolRotationConfig,
    PoolRotationPolicy,
    PoolSelectionStrategy,
    active_candidates,
)
from modelmesh_plugin_session_stickiness.sessions import SessionTable

__all__ = ["SessionStickinessConfig", "SessionStickinessRotation", "SessionStickinessSelection"]


@attrs.frozen(kw_only=True)
class SessionStickinessConfig(PoolRotationConfig):
    """The pool's options plus ``max_sessions``: how many pins the table keeps at most."""

    max_sessions: int = attrs.field(default=10_000, validator=at_least(1))


class SessionStickinessSelection(PoolSelectionStrategy):
    """Sends every request of a session to the model the session started on.

    The session is ``request.session_id``, else, when ``session_header`` is set, the
    request metadata entry of that name (matched case-insensitively, as HTTP headers
    are). A new session goes to the highest-priority active model when
    ``model_priority`` or ``provider_priority`` is set, otherwise to the active model
    holding the fewest live sessions (ties to pool order), so sessions spread over the
    pool. A request without a session gets the priority choice, else the first active
    model. Pins expire ``session_timeout`` after their last use.
    """

    config_class = SessionStickinessConfig

    def __init__(self, config: SessionStickinessConfig) -> None:
        super().__init__(config)
        self._strict = self.config.affinity_mode is AffinityMode.STRICT
        self._header = self.config.session_header
        self.sessions = SessionTable(
            timeout=self.config.session_timeout, capacity=self.config.max_sessions
        )

    def session_of(self, request: SelectionRequest) -> str | None:
        """The request's session ID, None when it has none."""
        if request.session_id:
            return request.session_id
        if self._header is None:
            return None
        value = request.metadata.get(self._header)
        if value is None:
            wanted = self._header.casefold()
            value = next(
                (v for k, v in request.metadata.items() if str(k).casefold() == wanted), None
            )
        return str(value) if value not in (None, "") else None

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        """1 for the model the request's session is pinned to, 0 for any other."""
        session = self.session_of(request)
        pinned = None if session is None else self.sessions.get(session, request.now)
        return 1.0 if candidate.model_id == pinned else 0.0

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        active = active_candidates(candidates, request)
        session = self.session_of(request)
        if session is None:
            return SelectionResult.for_candidate(
                self._preferred(active), 0.0, "no session: priority choice"
            )
        self.sessions.expire(request.now)
        pinned = self.sessions.get(session, request.now)
        if pinned is None:
            chosen, reason = self._new_session_choice(active), "new session"
        else:
            chosen = next((c for c in active if c.model_id == pinned), None)
            reason = "session pinned to this model"
            if chosen is None:
                if self._strict:
                    raise SessionModelUnavailableError(session, pinned)
                chosen = self._new_session_choice(active)
                reason = f"session moved: its model {pinned} is not available"
        self.sessions.pin(session, chosen.model_id, request.now)
        return SelectionResult.for_candidate(chosen, 1.0, reason)

    def _new_session_choice(self, active: list[ModelSnapshot]) -> ModelSnapshot:
        if self.ranker.size:
            return self._preferred(active)
        position = min(
            range(len(active)), key=lambda i: (self.sessions.load(active[i].model_id), i)
        )
        return active[position]

    def _preferred(self, active: list[ModelSnapshot]) -> ModelSnapshot:
        """model_priority first, then provider_priority, then pool order."""
        return self.ranker.best(active) or active[0]


class SessionStickinessRotation(PoolRotationPolicy):
    """The pool's deactivation and recovery, with sessions kept on one model.

    Options are the pool's (PoolRotationConfig), of which ``affinity_mode``
    (``fallback`` moves a session whose model is unavailable, ``strict`` raises
    SessionModelUnavailableError), ``session_timeout`` and ``session_header`` apply
    here, plus ``max_sessions`` (SessionStickinessConfig).
    """

    config_class = SessionStickinessConfig
    selection_class = SessionStickinessSelection
