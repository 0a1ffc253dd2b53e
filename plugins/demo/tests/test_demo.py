"""``modelmesh demo`` end to end: one short run, read as a user reads it.

The run is shared by the module: its output must show every request answered, the
failover away from the rate-limited provider, a cooldown and a recovery, and a summary
whose counts add up; afterwards no thread of the run is alive and nothing it served on
still listens.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import sys
import threading

import attrs
import pytest

from modelmesh_plugin_demo.command import main

REQUESTS = 20
# 20 requests 0.1 s apart outlast the rate-limited model's 1 s cooldown, which starts at
# the sixth request, so the run always shows it coming back.
ARGS = ["--requests", str(REQUESTS), "--delay", "0.1", "--no-live"]
ARROW = "(?:→|->)"


@attrs.frozen
class Run:
    status: int
    output: str
    threads_before: set[threading.Thread]
    threads_after: set[threading.Thread]

    def lines(self, pattern: str) -> list[str]:
        return [line for line in self.output.splitlines() if re.search(pattern, line)]

    def summary_row(self, name: str) -> list[str]:
        """The cells of the summary row whose first cell is ``name``."""
        for line in self.output[self.output.index("Summary") :].splitlines():
            cells = re.split(r"\s{2,}", line.strip())
            if cells[0] == name:
                return cells
        raise AssertionError(f"no summary row {name!r} in:\n{self.output}")


@pytest.fixture(scope="module")
def run() -> Run:
    before = set(threading.enumerate())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(ARGS)
    return Run(status, out.getvalue(), before, set(threading.enumerate()))


def test_the_demo_finishes_with_status_0_and_every_request_answered(run: Run) -> None:
    assert run.status == 0
    numbers = [int(line.split()[0][1:]) for line in run.lines(r"^#\d+ ")]
    assert numbers == list(range(1, REQUESTS + 1))
    assert run.lines("no answer") == []
    assert f"{REQUESTS} requests sent, {REQUESTS} answered" in run.output


def test_requests_fail_over_away_from_the_rate_limited_provider(run: Run) -> None:
    failovers = run.lines(rf"ratelimited 429 {ARROW} \w+ 200 +failover$")
    assert failovers, run.output
    assert all(" ratelimited.chat " not in line for line in failovers)


def test_the_rate_limited_model_cools_down_and_recovers(run: Run) -> None:
    cooldown = run.lines(r"cooldown ratelimited\.chat on standby for \d+\.\ds")
    recovery = run.lines(r"recovery ratelimited\.chat is back in the pool")
    assert cooldown, run.output
    assert recovery, run.output
    assert run.output.index(cooldown[0]) < run.output.index(recovery[0])
    assert run.lines(rf"rotation pool chat: ratelimited\.chat {ARROW} flaky\.chat")


def test_the_summary_counts_add_up(run: Run) -> None:
    models = ("ratelimited.chat", "flaky.chat", "steady.chat")
    rows = {model: run.summary_row(model) for model in models}
    total = run.summary_row("total")
    # model, provider, served, p50, failed, cooldowns, recoveries; total has no provider
    for column in (2, 4, 5, 6):
        assert sum(int(row[column]) for row in rows.values()) == int(total[column - 1])
    assert int(total[1]) == REQUESTS
    assert [row[1] for row in rows.values()] == ["ratelimited", "flaky", "steady"]
    assert int(rows["ratelimited.chat"][4]) >= 2
    assert int(rows["ratelimited.chat"][5]) >= 1
    assert int(rows["ratelimited.chat"][6]) >= 1
    assert int(rows["steady.chat"][4]) == 0
    assert all(re.fullmatch(r"\d+\.\d ms", row[3]) for row in rows.values() if int(row[2]))
    served_lines = sum(len(run.lines(rf"^#\d+ +\+\S+ +{re.escape(m)} ")) for m in models)
    assert served_lines == REQUESTS


def test_the_failover_count_matches_the_failover_lines(run: Run) -> None:
    counted = re.search(r"(\d+) failovers?, (\d+) rotations?", run.output)
    assert counted is not None
    assert int(counted[1]) == len(run.lines(r" failover$"))
    assert int(counted[2]) == len(run.lines(r"^ +rotation "))


def test_nothing_is_left_running_or_listening(run: Run) -> None:
    assert run.threads_after == run.threads_before
    ports = {int(port) for port in re.findall(r"http://127\.0\.0\.1:(\d+)", run.output)}
    assert len(ports) == 4  # three providers and the proxy
    for port in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still listens"


def test_the_modelmesh_command_runs_it_and_prints_plain_lines_into_a_pipe() -> None:
    command = "import sys; from modelmesh.cli import main; sys.exit(main())"
    finished = subprocess.run(
        [sys.executable, "-c", command, "demo", "--requests", "6", "--delay", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert "\x1b[" not in finished.stdout
    assert "6 requests sent, 6 answered" in finished.stdout
    assert re.search(rf"ratelimited 429 {ARROW} flaky 200", finished.stdout)


def test_a_proxy_set_in_the_shell_is_bypassed_and_left_as_it_was(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens on port 9
    monkeypatch.setenv("NO_PROXY", "example.com")
    monkeypatch.delenv("no_proxy", raising=False)

    assert main(["--requests", "4", "--delay", "0", "--no-live"]) == 0

    assert "4 requests sent, 4 answered" in capsys.readouterr().out
    assert os.environ["NO_PROXY"] == "example.com"
    assert "no_proxy" not in os.environ


@pytest.mark.parametrize("argv", [["--requests", "0"], ["--delay", "-1"], ["--delay", "soon"]])
def test_bad_options_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "modelmesh demo" in capsys.readouterr().err
