"""What the Secrets Manager store guarantees beyond the standard suite: the prefix,
``NAME#KEY`` for JSON secrets, paginated listing, and errors that name the secret and
the AWS code but never a value."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from modelmesh.errors import ConfigurationError
from modelmesh_plugin_aws_secrets.connector import AwsSecretsError, AwsSecretsSecretStore

REGION = "us-east-1"
VALUE = "sk-live-0c4f5e21aa"


@pytest.fixture
def prefix(tmp_path: Path) -> str:
    return f"{tmp_path.name}/"


@pytest.fixture
def aws(endpoint_url: str):
    """A plain boto3 client on the same server, to see what the store wrote."""
    return boto3.client("secretsmanager", region_name=REGION, endpoint_url=endpoint_url)


@pytest.fixture
def store(endpoint_url: str, prefix: str) -> AwsSecretsSecretStore:
    return AwsSecretsSecretStore({"region": REGION, "endpoint_url": endpoint_url, "prefix": prefix})


def test_set_creates_the_secret_under_the_prefix(store, aws, prefix: str) -> None:
    store.set("OPENAI_API_KEY", VALUE)
    assert aws.get_secret_value(SecretId=f"{prefix}OPENAI_API_KEY")["SecretString"] == VALUE


def test_set_of_an_existing_secret_puts_a_new_version(store, aws, prefix: str) -> None:
    store.set("A", "first")
    store.set("A", "second")
    versions = aws.list_secret_version_ids(SecretId=f"{prefix}A")["Versions"]
    assert len(versions) == 2


def test_list_strips_the_prefix_and_skips_other_prefixes(store, aws, prefix: str) -> None:
    aws.create_secret(Name=f"other-{prefix}A", SecretString=VALUE)
    store.set("B", VALUE)
    assert store.list() == ["B"]


def test_list_follows_every_page(store, prefix: str) -> None:
    names = [f"S{i:03d}" for i in range(105)]  # ListSecrets pages hold at most 100
    for name in names:
        store.set(name, VALUE)
    assert store.list() == names


def test_delete_removes_it_without_a_recovery_window(store, aws, prefix: str) -> None:
    store.set("A", VALUE)
    store.delete("A")
    listed = aws.list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert f"{prefix}A" not in [entry["Name"] for entry in listed]


def test_a_key_of_a_json_secret_is_read_with_a_hash(store) -> None:
    store.set("db", json.dumps({"username": "app", "password": VALUE, "port": 5432}))
    assert store.get("db#password") == VALUE


def test_a_non_string_json_field_is_read_as_json(store) -> None:
    store.set("db", json.dumps({"port": 5432}))
    assert store.get("db#port") == "5432"


def test_a_missing_key_of_a_json_secret_is_a_missing_secret(store) -> None:
    store.set("db", json.dumps({"username": "app"}))
    with pytest.raises(KeyError, match="'db#password'"):
        store.get("db#password")


def test_a_key_of_a_plain_secret_is_a_clear_error(store) -> None:
    store.set("token", VALUE)
    with pytest.raises(AwsSecretsError, match="not a JSON object") as caught:
        store.get("token#field")
    assert VALUE not in str(caught.value)


def test_setting_a_json_secret_refreshes_its_cached_keys(store) -> None:
    store.set("db", json.dumps({"password": "old"}))
    store.get("db#password")
    store.set("db", json.dumps({"password": "new"}))
    assert store.get("db#password") == "new"


def test_management_refuses_a_key_suffix(store) -> None:
    with pytest.raises(ValueError, match="whole secrets"):
        store.set("db#password", VALUE)


def test_an_aws_error_names_the_secret_and_code_but_no_value(store, aws, prefix: str) -> None:
    store.set("A", VALUE)
    aws.delete_secret(SecretId=f"{prefix}A", RecoveryWindowInDays=7)  # scheduled, not gone
    with pytest.raises(AwsSecretsError) as caught:
        store.get("A")
    message = str(caught.value)
    assert f"'{prefix}A'" in message
    assert "InvalidRequestException" in message
    assert VALUE not in message
    assert caught.value.__cause__ is None


def test_credentials_never_appear_in_the_repr(store) -> None:
    assert "testing" not in repr(store)


def test_region_is_required() -> None:
    with pytest.raises(ConfigurationError, match="region"):
        AwsSecretsSecretStore({})
