"""Secrets never reach logs, errors or reprs: redaction by key name, in URLs and text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from modelmesh.redaction import REDACTED, Secret, is_secret_key, redact, redact_text, redact_url

secret_values = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=40)


def test_values_under_secret_keys_are_hidden_at_any_depth():
    data = {"providers": [{"api_key": "sk-live-123456", "base_url": "https://x"}]}

    assert redact(data) == {"providers": [{"api_key": REDACTED, "base_url": "https://x"}]}


def test_header_mappings_lose_their_authorization_value():
    assert redact({"Authorization": "Bearer abc.def"}) == {"Authorization": REDACTED}


def test_bearer_tokens_inside_free_text_are_hidden():
    assert redact_text("sent Authorization: Bearer sk-abc123 upstream") == (
        "sent Authorization: Bearer *** upstream"
    )


def test_secret_query_parameters_are_hidden_and_others_kept():
    url = "https://api.example/v1/models?key=AIza-secret&alt=sse"

    assert redact_url(url) == "https://api.example/v1/models?key=***&alt=sse"


def test_user_info_in_urls_is_hidden():
    assert redact_url("redis://user:hunter2@localhost:6379/0") == "redis://***@localhost:6379/0"


def test_urls_inside_text_are_redacted():
    assert "AIza" not in redact_text("GET https://h/v1?api_key=AIza-1 failed")


def test_secret_repr_hides_the_value_but_str_keeps_it():
    token = Secret("sk-live-abcdef")

    assert "sk-live" not in repr(token)
    assert "sk-live" not in repr({"k": token})
    assert f"Bearer {token}" == "Bearer sk-live-abcdef"


def test_secret_values_are_hidden_even_under_innocent_keys():
    assert redact({"header": Secret("sk-1")}) == {"header": REDACTED}


def test_key_names_that_look_secret_are_recognised():
    for name in [
        "api_key",
        "apiKey",
        "X-Api-Key",
        "password",
        "client_secret",
        "token",
        "key",
        "access_token",
        "tokens",
        "encryption_key",
        "auth",
    ]:
        assert is_secret_key(name), name


def test_token_counts_and_ordinary_keys_stay_visible():
    for name in [
        "base_url",
        "model",
        "timeout",
        "monkey",
        "tokens_in",
        "max_tokens",
        "prompt_tokens",
        "token_limit",
        "tokens_remaining",
        "key_prefix",
    ]:
        assert not is_secret_key(name), name


def test_mappings_under_secret_keys_keep_their_harmless_parts():
    assert redact({"auth": {"method": "bearer", "tokens": ["t1"]}}) == {
        "auth": {"method": "bearer", "tokens": REDACTED}
    }


@given(secret=secret_values)
def test_no_redacted_structure_contains_the_secret(secret):
    data = {
        "api_key": secret,
        "nested": {"auth": {"password": secret}},
        "headers": [("x", 1), {"authorization": f"Bearer {secret}"}],
        "url": f"https://h/p?token={secret}",
        "message": f"Bearer {secret}",
    }

    assert secret not in repr(redact(data))
