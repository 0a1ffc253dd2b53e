"""How the demo looks: one line per request and per routing event, then a summary table.

The live view keeps a board of the three models (serving, cooling down with the seconds
left, how many requests each served) pinned under the scrolling lines; the plain view
prints the same lines alone, for pipes and CI logs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from rich import box
from rich.console import Console, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from modelmesh.interfaces.observability import EventType, RoutingEvent

from .tally import Outcome, Tally
from .upstreams import FakeProvider

_COLOURS = ("cyan", "magenta", "green", "blue", "yellow")


def _status_style(status: int) -> str:
    if status == 200:
        return "green"
    return "yellow" if status == 429 else "red"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


class _Board:
    """The models' state as the events tell it, drawn afresh at every refresh so the
    cooldowns count down between requests."""

    def __init__(self, models: Mapping[str, str], styles: Mapping[str, str]) -> None:
        self.models = dict(models)
        self.styles = styles
        self.until: dict[str, datetime | None] = dict.fromkeys(models)
        self.served: dict[str, int] = dict.fromkeys(models, 0)
        self.current: str | None = None

    def update(self, outcome: Outcome, events: Sequence[RoutingEvent]) -> None:
        for event in events:
            if event.model_id not in self.until:
                continue
            if event.event_type is EventType.MODEL_DEACTIVATED:
                until = event.metadata.get("until")
                self.until[event.model_id] = datetime.fromisoformat(until) if until else None
            elif event.event_type is EventType.MODEL_ACTIVATED:
                self.until[event.model_id] = None
        if outcome.model in self.served:
            self.served[outcome.model] += 1
            self.current = outcome.model

    def __rich__(self) -> RenderableType:
        table = Table(
            title="pool chat, in priority order",
            title_justify="left",
            title_style="dim",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        for column in ("model", "provider", "state", "served"):
            table.add_column(column, justify="right" if column == "served" else "left")
        now = datetime.now(UTC)
        for model, provider in self.models.items():
            until = self.until[model]
            if until is not None:
                left = max(0.0, (until - now).total_seconds())
                state = Text(f"cooling down, back in {left:.1f}s", style="yellow")
            elif model == self.current:
                state = Text("serving", style="bold green")
            else:
                state = Text("standing by", style="dim")
            style = self.styles[provider]
            table.add_row(
                Text(model, style=style),
                Text(provider, style=style),
                state,
                str(self.served[model]),
            )
        return table


class Display:
    """Prints the run as it happens; ``live`` pins the model board under the lines."""

    def __init__(
        self,
        console: Console,
        *,
        live: bool,
        providers: Sequence[FakeProvider],
        models: Mapping[str, str],
    ) -> None:
        self.console = console
        self.providers = providers
        self.styles = {p.name: _COLOURS[i % len(_COLOURS)] for i, p in enumerate(providers)}
        self.arrow = "→" if console.encoding.lower().startswith("utf") else "->"
        self.board = _Board(models, self.styles)
        self._live = Live(self.board, console=console, transient=True) if live else None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()

    def start(self, proxy_url: str, provider_urls: Mapping[str, str], requests: int) -> None:
        """Say what runs where, then pin the board (live view)."""
        self.console.print(Text("ModelMesh demo: failover, live and offline", style="bold"))
        for provider in self.providers:
            self.console.print(
                Text.assemble(
                    "  provider ",
                    (f"{provider.name:<12}", self.styles[provider.name]),
                    f" {provider_urls[provider.name]}  {provider.role}",
                ),
                soft_wrap=True,
            )
        self.console.print(f"  proxy    {'':<12} {proxy_url}  in front of them", soft_wrap=True)
        self.console.print(
            f"  sending {requests} chat requests through the openai client", soft_wrap=True
        )
        self.console.print()
        if self._live is not None:
            self._live.start()

    def request(self, outcome: Outcome, events: Sequence[RoutingEvent]) -> None:
        """The request's line, then a line per event it caused."""
        self.board.update(outcome, events)
        self.console.print(self._request_line(outcome), soft_wrap=True)
        for event in events:
            line = self._event_line(event)
            if line is not None:
                self.console.print(line, soft_wrap=True)

    def _request_line(self, outcome: Outcome) -> Text:
        line = Text(f"#{outcome.number:<3} {f'+{outcome.at:.2f}s':>7}  ")
        if outcome.model is None or outcome.provider is None:
            line.append(f"no answer: {outcome.error}", style="bold red")
            return line
        attempts = _count(outcome.attempts, "attempt")
        line.append(f"{outcome.model:<17}", style=self.styles.get(outcome.provider, ""))
        line.append(f" {attempts:<10} {outcome.latency_ms:6.1f} ms")
        if len(outcome.calls) > 1:
            line.append("  ")
            for index, call in enumerate(outcome.calls):
                if index:
                    line.append(f" {self.arrow} ")
                line.append(call.provider, style=self.styles.get(call.provider, ""))
                line.append(f" {call.status}", style=_status_style(call.status))
        if outcome.failover:
            line.append("  failover", style="bold yellow")
        return line

    def _event_line(self, event: RoutingEvent) -> Text | None:
        model = event.model_id or ""
        style = self.styles.get(event.provider_id or "", "")
        line = Text("       ")
        if event.event_type is EventType.MODEL_DEACTIVATED:
            line.append("cooldown ", style="bold yellow")
            line.append(model, style=style)
            until = event.metadata.get("until")
            if until:
                seconds = (datetime.fromisoformat(until) - event.timestamp).total_seconds()
                line.append(f" on standby for {seconds:.1f}s")
            line.append(f" ({event.metadata.get('reason')})", style="dim")
        elif event.event_type is EventType.MODEL_ACTIVATED:
            line.append("recovery ", style="bold green")
            line.append(model, style=style)
            line.append(" is back in the pool")
            line.append(f" ({event.metadata.get('trigger')})", style="dim")
        elif event.event_type is EventType.MODEL_ROTATED:
            line.append("rotation ", style="bold cyan")
            line.append(f"pool {event.pool_id}: {event.metadata.get('previous_model')} ")
            line.append(f"{self.arrow} ")
            line.append(model, style=style)
        else:
            return None
        return line

    def finish(self, tally: Tally) -> None:
        """Unpin the board and print the summary table."""
        if self._live is not None:
            self._live.stop()
        self.console.print()
        self.console.print(self.summary(tally))

    def summary(self, tally: Tally) -> Table:
        rows = tally.rows()
        table = Table(title="Summary", box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
        table.add_column("model", no_wrap=True)
        table.add_column("provider", no_wrap=True)
        for column in ("served", "p50", "failed", "cooldowns", "recoveries"):
            table.add_column(column, justify="right", no_wrap=True)
        for row in rows:
            style = self.styles.get(row.provider, "")
            table.add_row(
                Text(row.model, style=style),
                Text(row.provider, style=style),
                str(row.served),
                _ms(row.p50_ms),
                str(row.failed_calls),
                str(row.cooldowns),
                str(row.recoveries),
            )
        table.add_section()
        table.add_row(
            Text("total", style="bold"),
            "",
            str(tally.answered),
            _ms(tally.p50_ms),
            str(sum(row.failed_calls for row in rows)),
            str(sum(row.cooldowns for row in rows)),
            str(sum(row.recoveries for row in rows)),
        )
        table.caption = (
            f"{_count(len(tally.outcomes), 'request')} sent, {tally.answered} answered; "
            f"{_count(tally.failovers, 'failover')}, "
            f"{_count(tally.count(EventType.MODEL_ROTATED), 'rotation')}"
        )
        table.caption_justify = "left"
        return table
