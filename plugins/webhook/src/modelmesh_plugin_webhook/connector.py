"""Records posted in batches to an HTTP endpoint, never blocking a request.

The channel methods only append the record to a bounded queue (O(1), no I/O, no
JSON): a slow or failing webhook can cost a request nothing. A background task on the
event loop that first fed the sink renders the records and POSTs them as JSON arrays
through the kit's HttpClientMixin, which retries with exponential backoff and honours
Retry-After. When the queue is full the oldest record is dropped and counted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.log import get_logger
from modelmesh_cdk.base.observability import BaseObservability, BaseObservabilityConfig
from modelmesh_cdk.mixins.http_client import HttpClientMixin
from modelmesh_cdk.options import Duration, parse_duration

_LOG = get_logger("modelmesh.observability.webhook")
_JSON = {"content-type": "application/json"}
_positive = attrs.validators.gt(0)


def _http_url(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("url must be an http:// or https:// URL with a host")


def _where(url: str) -> str:
    """The URL without path or query: webhook URLs often carry their secret there."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/..."


def _hidden_headers(headers: Mapping[str, str]) -> str:
    return repr(dict.fromkeys(headers, "***"))


@attrs.frozen
class WebhookObservabilityConfig(BaseObservabilityConfig):
    """Where and how records are posted; ``headers`` and the URL's path never show in
    a repr or a log, as either may hold the webhook's credential."""

    url: str = attrs.field(default="", validator=_http_url, repr=_where)
    headers: dict[str, str] = attrs.field(factory=dict, repr=_hidden_headers)
    timeout: Duration = attrs.field(default=10.0, converter=parse_duration, validator=_positive)
    batch_size: int = attrs.field(default=100, validator=_positive)
    flush_interval: Duration = attrs.field(
        default=5.0, converter=parse_duration, validator=_positive
    )
    retry_count: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    queue_size: int = attrs.field(default=10_000, validator=_positive)
    close_timeout: Duration = attrs.field(
        default=5.0, converter=parse_duration, validator=attrs.validators.ge(0)
    )


class WebhookObservability(HttpClientMixin, BaseObservability):
    """Queues every record and POSTs them in batches from a background task.

    The task starts on the running event loop at the first record fed from one; records
    fed with no loop running wait in the queue for it, or for ``close``. It sends a
    batch when ``batch_size`` records wait or ``flush_interval`` has passed. Counters:
    ``sent`` (records delivered), ``failed`` (records of batches the webhook refused
    after the retries), ``dropped`` (pushed out of a full queue, fed after ``close``,
    or still queued when ``close`` ran out of time), ``write_errors`` (records that
    could not be rendered). ``clock`` paces the retry backoff.
    """

    config_class = WebhookObservabilityConfig
    config: WebhookObservabilityConfig

    def __init__(
        self,
        config: WebhookObservabilityConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(config)
        self._clock = clock
        self._queue: collections.deque[Mapping[str, Any]] = collections.deque(
            maxlen=self.config.queue_size
        )
        self.sent = self.failed = self.dropped = 0
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._closing = False
        self._warned = False

    def __repr__(self) -> str:
        return f"WebhookObservability(url={_where(self.config.url)!r}, queued={len(self._queue)})"

    @property
    def queued(self) -> int:
        """Records waiting to be sent."""
        return len(self._queue)

    # --- the request path: enqueue only ------------------------------------------------

    def _write_record(self, record: Mapping[str, Any]) -> None:
        if self._closing:
            self.dropped += 1
            return
        queue = self._queue
        if len(queue) == queue.maxlen:
            self.dropped += 1  # the deque pushes the oldest out
        queue.append(record)
        if self._task is None:
            self._start()
        elif len(queue) >= self.config.batch_size and self._wake is not None:
            self._wake.set()

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the records wait for one, or for close()
        self._wake = asyncio.Event()
        self._task = loop.create_task(self._run(), name="modelmesh-webhook-sender")

    # --- the background sender ---------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        wake = self._wake
        self._init_http_client(
            self.config.url, timeout=self.config.timeout, max_retries=self.config.retry_count
        )
        try:
            while True:
                if not self._closing and len(self._queue) < self.config.batch_size:
                    wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), self.config.flush_interval)
                if self._queue:
                    await self._send_batch()
                elif self._closing:
                    return
        finally:
            await self._close_http_client()

    async def _send_batch(self) -> None:
        queue = self._queue
        lines = []
        for _ in range(min(self.config.batch_size, len(queue))):
            record = queue.popleft()
            try:
                lines.append(self._render(record))
            except Exception:
                self.write_errors += 1
        if not lines:
            return
        body = ("[" + ",".join(lines) + "]").encode()
        headers = {**_JSON, **self.config.headers}
        try:
            await self._http_request("POST", self.config.url, content=body, headers=headers)
        except Exception as error:
            self.failed += len(lines)
            self._warn(error)
        else:
            self.sent += len(lines)

    def _warn(self, error: Exception) -> None:
        # Only the type and status: an error's text may quote the URL or a header.
        if self._warned:
            return
        self._warned = True
        response = getattr(error, "response", None)
        _LOG.warning(
            "webhook sink could not deliver a batch; later failures are only counted",
            webhook=_where(self.config.url),
            error_type=type(error).__name__,
            status=getattr(response, "status_code", None),
        )

    # --- shutdown ----------------------------------------------------------------------

    async def close(self) -> None:
        """Send what is queued within ``close_timeout`` seconds, then stop the task;
        records still queued then are counted in ``dropped``. Safe to call twice."""
        if self._closing:
            return
        self._closing = True
        if self._task is None and self._queue:
            self._start()
        task = self._task
        if task is not None:
            assert self._wake is not None
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), self.config.close_timeout)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.dropped += len(self._queue)
        self._queue.clear()
