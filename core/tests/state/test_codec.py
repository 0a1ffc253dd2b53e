"""The stored form: a lossless round trip, and clear errors for anything unreadable."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest

from modelmesh.interfaces.rotation import DeactivationReason, ModelStatus
from modelmesh.state import (
    ModelState,
    PoolState,
    ProviderState,
    StateError,
    SystemState,
    UsageCounter,
)
from modelmesh.state.codec import FORMAT_VERSION, decode_state, encode_state

NOW = datetime(2026, 5, 17, 12, 30, tzinfo=UTC)
KEY = "prod/state"


def full_state() -> SystemState:
    model = ModelState(
        "gpt",
        "openai",
        status=ModelStatus.STANDBY,
        deactivation_reason=DeactivationReason.REQUEST_LIMIT,
        deactivated_at=NOW,
        cooldown_until=NOW + timedelta(hours=1),
        failure_count=2,
        outcomes=deque([False, True, True], maxlen=20),
        total_requests=12,
        total_failures=2,
        total_tokens=1200,
        total_cost=0.75,
        daily=UsageCounter("2026-05-17", 3, 300, 0.25),
        monthly=UsageCounter("2026-05", 12, 1200, 0.75),
        latency_history=deque([120.5, 80.0], maxlen=100),
        last_request=NOW,
        last_failure=NOW - timedelta(seconds=5),
        changed_at=NOW,
        status_changed_at=NOW,
    )
    provider = ProviderState(
        "openai",
        available=False,
        deactivation_reason="auth",
        deactivated_at=NOW,
        auth_valid=False,
        last_probe=NOW,
        availability_score=0.5,
        consecutive_failures=4,
        daily=UsageCounter("2026-05-17", 3, 300, 0.25),
        monthly=UsageCounter("2026-05", 12, 1200, 0.75),
        changed_at=NOW,
        status_changed_at=NOW,
    )
    pool = PoolState("chat", current_model="gpt", rotation_count=4, last_rotation=NOW)
    return SystemState(
        models={"gpt": model},
        providers={"openai": provider},
        pools={"chat": pool},
        saved_at=NOW,
        saved_by="instance-a",
    )


def document(**changes: object) -> bytes:
    body = json.loads(encode_state(full_state()))
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = body
        for name in parents:
            target = target[name]
        target[last] = value
    return json.dumps(body).encode()


def test_every_field_survives_a_round_trip():
    state = full_state()

    assert decode_state(encode_state(state), KEY) == state


def test_the_document_is_versioned_json():
    body = json.loads(encode_state(SystemState()))

    assert body["version"] == FORMAT_VERSION
    assert body["models"] == body["providers"] == body["pools"] == {}


def test_outcomes_keep_the_newest_within_the_error_window():
    decoded = decode_state(encode_state(full_state()), KEY, error_rate_window=2)

    assert list(decoded.models["gpt"].outcomes) == [True, True]
    assert decoded.models["gpt"].outcomes.maxlen == 2


def test_invalid_json_names_the_key():
    with pytest.raises(StateError, match=r"'prod/state'.*not valid JSON") as caught:
        decode_state(b"{not json", KEY)

    assert caught.value.key == KEY


def test_an_unknown_version_is_refused_rather_than_guessed():
    with pytest.raises(StateError, match=r"'prod/state'.*version 99.*upgrade ModelMesh"):
        decode_state(document(version=99), KEY)


def test_a_missing_version_is_refused():
    with pytest.raises(StateError, match="version None"):
        decode_state(b'{"models": {}}', KEY)


def test_a_document_that_is_not_an_object_is_refused():
    with pytest.raises(StateError, match="must be a JSON object"):
        decode_state(b"[1, 2]", KEY)


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"models__gpt__failure_count": "two"}, r"models\['gpt'\]\.failure_count"),
        ({"models__gpt__failure_count": -1}, "must not be negative"),
        ({"models__gpt__total_requests": True}, r"total_requests must be int"),
        ({"models__gpt__status": "sleeping"}, r"status is 'sleeping', not one of"),
        ({"models__gpt__deactivation_reason": "bored"}, "deactivation_reason is 'bored'"),
        ({"models__gpt__cooldown_until": "tomorrow"}, "cooldown_until is not an ISO 8601"),
        ({"models__gpt__cooldown_until": "2026-05-17T13:00:00"}, "has no time zone"),
        ({"models__gpt__daily__requests": 1.5}, r"daily\.requests must be int"),
        ({"models__gpt__outcomes": [True, "x"]}, r"outcomes\[1\] must be bool"),
        ({"models__gpt__latency_history": "fast"}, "latency_history must be list"),
        ({"providers__openai__available": "yes"}, "available must be bool"),
        ({"pools__chat__rotation_count": None}, "rotation_count must be int"),
        ({"pools": []}, "pools must be a JSON object"),
    ],
)
def test_a_bad_field_is_named_with_the_key(changes, where):
    with pytest.raises(StateError, match=where) as caught:
        decode_state(document(**changes), KEY)

    assert "'prod/state'" in str(caught.value)


def test_a_missing_field_is_named():
    body = json.loads(encode_state(full_state()))
    del body["models"]["gpt"]["total_cost"]

    with pytest.raises(StateError, match=r"models\['gpt'\]\.total_cost is missing"):
        decode_state(json.dumps(body).encode(), KEY)


def test_integral_costs_read_as_floats():
    decoded = decode_state(document(models__gpt__total_cost=3), KEY)

    assert decoded.models["gpt"].total_cost == 3.0
    assert isinstance(decoded.models["gpt"].total_cost, float)
