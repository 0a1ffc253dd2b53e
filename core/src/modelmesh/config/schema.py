"""The configuration schema as frozen attrs classes.

These are the canonical forms: every variant layout the loader accepts ends up here,
durations are float seconds, closed sets are enums and each field carries the
documented default, so consumers never look at raw YAML.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from modelmesh.config.converter import unstructure_config
from modelmesh.config.durations import Duration
from modelmesh.config.fields import (
    ConnectorRef,
    at_least,
    between,
    cron,
    each,
    hidden_repr,
    http_status,
    http_url,
    non_empty,
    optional,
    plugin_pattern,
    redacted_repr,
    strip_trailing_slash,
)
from modelmesh.config.issues import InvalidValue
from modelmesh.interfaces.discovery import DeprecationAction, ProbeMethod, SyncAction
from modelmesh.interfaces.observability import LogLevel, Severity
from modelmesh.interfaces.storage import SerializationFormat, SyncPolicy

DERIVED = {"yaml": False}
"""Metadata of a field the loader fills from elsewhere (a mapping key): never written."""
LOADER_ONLY = {"yaml": False, "loader": True}
"""Metadata of a field set by the loader itself, never read from the data."""
PYTHON_ONLY = {"python_only": True}
"""Metadata of a field that only a Python mapping can fill (a ready connector object)."""

DEFAULT_RETRYABLE_CODES = (429, 500, 502, 503)
DEFAULT_NON_RETRYABLE_CODES = (400, 401, 403)


# --- enums: the closed sets of values --------------------------------------------------


class AuthMethod(enum.StrEnum):
    API_KEY = "api_key"
    OAUTH = "oauth"
    SERVICE_ACCOUNT = "service_account"


class QuotaResetSchedule(enum.StrEnum):
    MONTHLY = "monthly"
    DAILY = "daily"
    ROLLING = "rolling"


class FallbackStrategy(enum.StrEnum):
    ROUND_ROBIN = "round-robin"
    ERROR = "error"


class BalanceMode(enum.StrEnum):
    ABSOLUTE = "absolute"
    RELATIVE = "relative"


class AffinityMode(enum.StrEnum):
    FALLBACK = "fallback"
    STRICT = "strict"


class QuotaWindow(enum.StrEnum):
    MONTHLY = "monthly"
    DAILY = "daily"


class QuotaResetPolicy(enum.StrEnum):
    MONTHLY = "monthly"
    DAILY_UTC = "daily_utc"


class Backoff(enum.StrEnum):
    EXPONENTIAL_JITTER = "exponential_jitter"
    FIXED = "fixed"
    RETRY_AFTER = "retry_after"


class RetryScope(enum.StrEnum):
    SAME_MODEL = "same_model"
    SAME_PROVIDER = "same_provider"
    ANY = "any"


class ThrottleAction(enum.StrEnum):
    SWITCH_MODEL = "switch_model"
    DELAY_REQUEST = "delay_request"
    QUEUE = "queue"


class ProviderDeactivationTrigger(enum.StrEnum):
    ON_AUTH_FAILURE = "on_auth_failure"
    ON_API_OUTAGE = "on_api_outage"


class ProviderRecovery(enum.StrEnum):
    ON_PROBE_SUCCESS = "on_probe_success"
    ON_MANUAL = "on_manual"


class Channel(enum.StrEnum):
    """What an observability sink receives."""

    EVENTS = "events"
    LOGS = "logs"
    STATISTICS = "statistics"
    TRACES = "traces"


class StatisticsScope(enum.StrEnum):
    MODEL = "model"
    PROVIDER = "provider"
    POOL = "pool"


class ProxyEndpoint(enum.StrEnum):
    CHAT_COMPLETIONS = "chat/completions"
    EMBEDDINGS = "embeddings"
    MODELS = "models"
    HEALTH = "health"
    METRICS = "metrics"


class ProxyAuthMethod(enum.StrEnum):
    BEARER = "bearer"


# --- secrets ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SecretsConfig:
    """Where ``${secrets:NAME}`` references are resolved; the rest are store options."""

    store: ConnectorRef = "modelmesh.env.v1"
    cache_enabled: bool = True
    cache_ttl: Duration = 300.0
    reload_on_rotation: bool = True
    fail_on_missing: bool = True
    options: dict[str, Any] = attrs.field(factory=dict, repr=redacted_repr)


# --- providers -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ExecutionConfig:
    max_retries: int = attrs.field(default=3, validator=at_least(0))


@attrs.frozen(kw_only=True)
class AuthConfig:
    method: AuthMethod = AuthMethod.API_KEY
    key_rotation: bool = False


@attrs.frozen(kw_only=True)
class CatalogueConfig:
    auto_discover: bool = False
    refresh_interval: Duration = 3600.0


@attrs.frozen(kw_only=True)
class QuotaConfig:
    query_current: bool = False
    query_remaining: bool = False
    reset_schedule: QuotaResetSchedule = QuotaResetSchedule.MONTHLY


@attrs.frozen(kw_only=True)
class BudgetConfig:
    """Spending caps in USD over the UTC calendar day and month."""

    daily_limit: float | None = attrs.field(default=None, validator=optional(at_least(0)))
    monthly_limit: float | None = attrs.field(default=None, validator=optional(at_least(0)))
    alert_threshold: float = attrs.field(default=0.8, validator=between(0, 1))
    enforce: bool = True


@attrs.frozen(kw_only=True)
class ProviderPricingConfig:
    query: bool = False


@attrs.frozen(kw_only=True)
class ErrorCodesConfig:
    retryable_codes: tuple[int, ...] = attrs.field(
        default=DEFAULT_RETRYABLE_CODES, validator=each(http_status)
    )
    non_retryable_codes: tuple[int, ...] = attrs.field(
        default=DEFAULT_NON_RETRYABLE_CODES, validator=each(http_status)
    )


@attrs.frozen(kw_only=True)
class ProviderDiscoveryConfig:
    enumerate_models: bool = False
    model_details: bool = False
    capability_query: bool = False


@attrs.frozen(kw_only=True)
class ProviderBatchConfig:
    supported: bool = False
    max_items: int | None = attrs.field(default=None, validator=optional(at_least(1)))


@attrs.frozen(kw_only=True)
class FilesConfig:
    upload: bool = False
    max_size: int | None = attrs.field(default=None, validator=optional(at_least(1)))


@attrs.frozen(kw_only=True)
class FineTuningConfig:
    supported: bool = False


@attrs.frozen(kw_only=True)
class InfrastructureConfig:
    batch: bool = False
    files: bool = False
    fine_tuning: bool = False


@attrs.frozen(kw_only=True)
class ProviderConfig:
    """One provider: the connector that reaches it and its common settings.

    ``options`` holds the connector-specific keys; ``instance`` a ready connector
    object given from Python, in which case ``connector`` may be None.
    """

    connector: ConnectorRef | None = None
    enabled: bool = True
    api_key: str | None = attrs.field(default=None, repr=hidden_repr)
    base_url: str | None = attrs.field(
        default=None, converter=strip_trailing_slash, validator=optional(http_url)
    )
    timeout: Duration = 30.0
    execution: ExecutionConfig = attrs.field(factory=ExecutionConfig)
    auth: AuthConfig = attrs.field(factory=AuthConfig)
    catalogue: CatalogueConfig = attrs.field(factory=CatalogueConfig)
    quota: QuotaConfig = attrs.field(factory=QuotaConfig)
    budget: BudgetConfig = attrs.field(factory=BudgetConfig)
    pricing: ProviderPricingConfig = attrs.field(factory=ProviderPricingConfig)
    error: ErrorCodesConfig = attrs.field(factory=ErrorCodesConfig)
    discovery: ProviderDiscoveryConfig = attrs.field(factory=ProviderDiscoveryConfig)
    batch: ProviderBatchConfig = attrs.field(factory=ProviderBatchConfig)
    files: FilesConfig = attrs.field(factory=FilesConfig)
    fine_tuning: FineTuningConfig = attrs.field(factory=FineTuningConfig)
    infrastructure: InfrastructureConfig = attrs.field(factory=InfrastructureConfig)
    options: dict[str, Any] = attrs.field(factory=dict, repr=redacted_repr)
    instance: Any = attrs.field(default=None, metadata=PYTHON_ONLY)

    def __attrs_post_init__(self) -> None:
        if self.connector is None and self.instance is None:
            raise InvalidValue(
                "name the provider's connector, for example 'connector: openai.llm.v1'",
                at=("connector",),
            )


# --- models ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DeliveryConfig:
    synchronous: bool = True
    streaming: bool = True
    batch: bool = False


@attrs.frozen(kw_only=True)
class ModelBatchConfig:
    max_items: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    max_payload: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    completion_window: Duration | None = None
    cost_discount: float | None = attrs.field(default=None, validator=optional(between(0, 1)))
    callback: bool = False
    polling: bool = True
    partial_results: bool = False


@attrs.frozen(kw_only=True)
class FeaturesConfig:
    """Feature flags; None means "not declared here, ask the provider's catalogue"."""

    tool_calling: bool | None = None
    structured_output: bool | None = None
    json_mode: bool | None = None
    system_prompt: bool | None = None
    grounding: bool | None = None
    logprobs: bool | None = None
    fine_tunable: bool | None = None
    vision: bool | None = None
    streaming: bool | None = None


@attrs.frozen(kw_only=True)
class ConstraintsConfig:
    context_window: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    max_output_tokens: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    max_images: int | None = attrs.field(default=None, validator=optional(at_least(0)))
    max_file_size: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    supported_languages: tuple[str, ...] | None = None


@attrs.frozen(kw_only=True)
class PricingConfig:
    """USD prices that override the connector's; None leaves the connector's."""

    input_per_1k_tokens: float | None = attrs.field(default=None, validator=optional(at_least(0)))
    output_per_1k_tokens: float | None = attrs.field(default=None, validator=optional(at_least(0)))
    per_request: float | None = attrs.field(default=None, validator=optional(at_least(0)))


@attrs.frozen(kw_only=True)
class ModelConfig:
    """One model; ``id`` is its key under ``models:`` (or its ``id`` when inline)."""

    id: str = attrs.field(metadata=DERIVED)
    provider: str
    name: str | None = None
    capabilities: tuple[str, ...] | None = attrs.field(
        default=None, validator=optional(each(non_empty))
    )
    delivery: DeliveryConfig = attrs.field(factory=DeliveryConfig)
    batch: ModelBatchConfig = attrs.field(factory=ModelBatchConfig)
    features: FeaturesConfig = attrs.field(factory=FeaturesConfig)
    constraints: ConstraintsConfig = attrs.field(factory=ConstraintsConfig)
    pricing: PricingConfig = attrs.field(factory=PricingConfig)

    @property
    def upstream_name(self) -> str:
        """The model string sent upstream: ``name``, else the ID after its first dot."""
        if self.name is not None:
            return self.name
        return self.id.split(".", 1)[1] if "." in self.id else self.id


# --- pools -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DeactivationConfig:
    retry_limit: int = attrs.field(default=3, validator=at_least(1))
    error_rate_threshold: float = attrs.field(default=0.5, validator=between(0, 1))
    error_rate_window: int = attrs.field(default=20, validator=at_least(1))
    error_codes: tuple[int, ...] = attrs.field(default=(429, 500, 503), validator=each(http_status))
    request_limit: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    token_limit: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    budget_limit: float | None = attrs.field(default=None, validator=optional(at_least(0)))
    quota_window: QuotaWindow | None = None
    maintenance_window: str | None = attrs.field(default=None, validator=optional(cron))
    maintenance_duration: Duration = attrs.field(default=3600.0, validator=at_least(60))


@attrs.frozen(kw_only=True)
class RecoveryConfig:
    cooldown: Duration = 60.0
    probe_on_start: bool = False
    probe_interval: Duration = 300.0
    on_quota_reset: bool = True
    quota_reset_schedule: QuotaResetPolicy = QuotaResetPolicy.MONTHLY


@attrs.frozen(kw_only=True)
class RetryConfig:
    """``max_attempts`` counts every call to one model in a request, the first too;
    ``deadline`` bounds the whole request, every attempt and backoff included."""

    max_attempts: int = attrs.field(default=3, validator=at_least(1))
    backoff: Backoff = Backoff.EXPONENTIAL_JITTER
    initial_delay: Duration = 0.5
    max_delay: Duration = 10.0
    retryable_codes: tuple[int, ...] = attrs.field(
        default=DEFAULT_RETRYABLE_CODES, validator=each(http_status)
    )
    non_retryable_codes: tuple[int, ...] = attrs.field(
        default=DEFAULT_NON_RETRYABLE_CODES, validator=each(http_status)
    )
    scope: RetryScope = RetryScope.SAME_MODEL
    honor_retry_after: bool = True
    deadline: Duration = 120.0

    def __attrs_post_init__(self) -> None:
        if self.max_delay < self.initial_delay:
            raise InvalidValue(
                "must be at least initial_delay, or the backoff could never reach it",
                at=("max_delay",),
            )


@attrs.frozen(kw_only=True)
class RateLimitConfig:
    threshold: float = attrs.field(default=0.8, validator=between(0, 1))
    min_delta: Duration = 0.0
    max_rpm: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    action: ThrottleAction = ThrottleAction.SWITCH_MODEL


@attrs.frozen(kw_only=True)
class PoolConfig:
    """A pool: which models it holds and how it selects, retries and rotates them.

    ``capability`` None means the pool's own ID is the capability.
    """

    capability: str | None = None
    models: tuple[str, ...] = ()
    providers: tuple[str, ...] | None = None
    excluded_providers: tuple[str, ...] = ()
    model_priority: tuple[str, ...] = ()
    provider_priority: tuple[str, ...] = ()
    strategy: ConnectorRef = "modelmesh.stick-until-failure.v1"
    fallback_strategy: FallbackStrategy = FallbackStrategy.ROUND_ROBIN
    balance_mode: BalanceMode = BalanceMode.RELATIVE
    affinity_mode: AffinityMode = AffinityMode.FALLBACK
    session_timeout: Duration = 1800.0
    session_header: str | None = None
    latency_window: int = attrs.field(default=50, validator=at_least(1))
    strategy_options: dict[str, Any] = attrs.field(factory=dict, repr=redacted_repr)
    deactivation: DeactivationConfig = attrs.field(factory=DeactivationConfig)
    recovery: RecoveryConfig = attrs.field(factory=RecoveryConfig)
    retry: RetryConfig = attrs.field(factory=RetryConfig)
    rate_limit: RateLimitConfig = attrs.field(factory=RateLimitConfig)
    provider_deactivation: tuple[ProviderDeactivationTrigger, ...] = (
        ProviderDeactivationTrigger.ON_AUTH_FAILURE,
    )
    provider_recovery: ProviderRecovery = ProviderRecovery.ON_PROBE_SUCCESS


# --- storage ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LockingConfig:
    enabled: bool = True
    timeout: Duration = 30.0
    retry_interval: Duration = 1.0


@attrs.frozen(kw_only=True)
class StorageConfig:
    """Where state is kept; the default connector applies when the section is present."""

    connector: ConnectorRef = "modelmesh.local-file.v1"
    sync_policy: SyncPolicy = SyncPolicy.IN_MEMORY
    sync_interval: Duration = 300.0
    format: SerializationFormat = SerializationFormat.JSON
    compression: bool = False
    encryption: bool = False
    locking: LockingConfig = attrs.field(factory=LockingConfig)
    options: dict[str, Any] = attrs.field(factory=dict, repr=redacted_repr)


def _absent_storage() -> StorageConfig:
    """No storage section: keep state in memory only."""
    return StorageConfig(connector="modelmesh.memory.v1")


# --- observability ---------------------------------------------------------------------


def _redaction_stays_on(_instance: Any, _attribute: Any, value: bool) -> None:
    if value is not True:
        raise InvalidValue(
            "redaction cannot be switched off: secrets are always hidden in logs, events "
            "and traces; remove this key"
        )


@attrs.frozen(kw_only=True)
class SinkConfig:
    """One observability connector and the channels it receives; ``instance`` is a
    ready connector object given from Python."""

    connector: ConnectorRef | None = None
    channels: tuple[Channel, ...] = attrs.field(default=tuple(Channel), validator=non_empty)
    level: LogLevel = LogLevel.METADATA
    redact: bool = attrs.field(default=True, validator=_redaction_stays_on)
    events: tuple[str, ...] | None = None
    flush_interval: Duration = 60.0
    retention: Duration = 7 * 86400.0
    scopes: tuple[StatisticsScope, ...] = tuple(StatisticsScope)
    min_severity: Severity = Severity.INFO
    max_payload_size: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    options: dict[str, Any] = attrs.field(factory=dict, repr=redacted_repr)
    instance: Any = attrs.field(default=None, metadata=PYTHON_ONLY)

    def __attrs_post_init__(self) -> None:
        if self.connector is None and self.instance is None:
            raise InvalidValue(
                "name the sink's connector, for example 'connector: modelmesh.console.v1'",
                at=("connector",),
            )


def _null_sinks() -> tuple[SinkConfig, ...]:
    return (SinkConfig(connector="modelmesh.null.v1"),)


@attrs.frozen(kw_only=True)
class ObservabilityConfig:
    sinks: tuple[SinkConfig, ...] = attrs.field(factory=_null_sinks)


# --- discovery -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DiscoverySyncConfig:
    enabled: bool = True
    interval: Duration = 3600.0
    auto_register: bool = True
    on_new_model: SyncAction = SyncAction.REGISTER
    on_deprecated_model: DeprecationAction = DeprecationAction.NOTIFY
    providers: tuple[str, ...] | None = None


@attrs.frozen(kw_only=True)
class DiscoveryHealthConfig:
    enabled: bool = True
    interval: Duration = 60.0
    timeout: Duration = 10.0
    failure_threshold: int = attrs.field(default=3, validator=at_least(1))
    providers: tuple[str, ...] | None = None
    probe_method: ProbeMethod = ProbeMethod.LIGHTWEIGHT


@attrs.frozen(kw_only=True)
class DiscoveryConnectorConfig:
    connector: ConnectorRef
    sync: DiscoverySyncConfig | None = None
    health: DiscoveryHealthConfig | None = None
    options: dict[str, Any] = attrs.field(factory=dict, repr=redacted_repr)


@attrs.frozen(kw_only=True)
class DiscoveryConfig:
    connectors: tuple[DiscoveryConnectorConfig, ...] = ()


# --- connectors, proxy, plugins --------------------------------------------------------


@attrs.frozen(kw_only=True)
class ConnectorsConfig:
    """Connector packages: absolute paths, or https URLs pinned as ``url#sha256=<hex>``."""

    packages: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ProxyAuthConfig:
    method: ProxyAuthMethod = ProxyAuthMethod.BEARER
    enabled: bool = False
    tokens: tuple[str, ...] = attrs.field(default=(), repr=hidden_repr)

    def __attrs_post_init__(self) -> None:
        if self.enabled and not self.tokens:
            raise InvalidValue(
                "auth is enabled but no tokens are configured; add tokens (for example "
                "'tokens: [\"${secrets:proxy-token}\"]') or set 'enabled: false'",
                at=("tokens",),
            )


@attrs.frozen(kw_only=True)
class CorsConfig:
    enabled: bool = False
    origins: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ProxyConfig:
    """The HTTP proxy; it binds to loopback unless told otherwise."""

    host: str = attrs.field(default="127.0.0.1", validator=non_empty)
    port: int = attrs.field(default=8080, validator=between(1, 65535))
    endpoints: tuple[ProxyEndpoint, ...] = tuple(ProxyEndpoint)
    auth: ProxyAuthConfig = attrs.field(factory=ProxyAuthConfig)
    cors: CorsConfig = attrs.field(factory=CorsConfig)


@attrs.frozen(kw_only=True)
class PluginsConfig:
    """Which connectors may load: IDs or fnmatch globs; deny wins over allow."""

    allow: tuple[str, ...] | None = attrs.field(
        default=None, validator=optional(each(plugin_pattern))
    )
    deny: tuple[str, ...] = attrs.field(default=(), validator=each(plugin_pattern))


# --- the whole configuration -----------------------------------------------------------


@attrs.frozen(kw_only=True)
class MeshConfig:
    """A whole, validated configuration; ``source_path`` is the file it came from."""

    secrets: SecretsConfig = attrs.field(factory=SecretsConfig)
    providers: dict[str, ProviderConfig] = attrs.field(factory=dict)
    models: dict[str, ModelConfig] = attrs.field(factory=dict)
    pools: dict[str, PoolConfig] = attrs.field(factory=dict)
    storage: StorageConfig = attrs.field(factory=_absent_storage)
    observability: ObservabilityConfig = attrs.field(factory=ObservabilityConfig)
    discovery: DiscoveryConfig = attrs.field(factory=DiscoveryConfig)
    connectors: ConnectorsConfig = attrs.field(factory=ConnectorsConfig)
    proxy: ProxyConfig = attrs.field(factory=ProxyConfig)
    plugins: PluginsConfig = attrs.field(factory=PluginsConfig)
    source_path: str | None = attrs.field(default=None, eq=False, metadata=LOADER_ONLY)

    def to_dict(self) -> dict[str, Any]:
        """The canonical YAML-ready form; ``load_config(c.to_dict()) == c``.

        Durations are written with units and resolved secrets as their
        ``${secrets:NAME}`` references, never as values.
        """
        return unstructure_config(self)
