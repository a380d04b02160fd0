"""Chat fan-out benchmark: `python -m bench.chat [--quick] [--servers …] [--connections …] [--before DIR]
[--profile]`.

Starts a private Redis on loopback, seeds PostgreSQL databases, then starts each server fresh in
turn (ours = the real application under daphne; ours_uvicorn = the same under uvicorn; tutorial and
tutorial+db = the Channels tutorial without and with the ORM, under daphne; bare = plain `websockets`;
ours2 = ours as two daphne processes behind the same Redis), and drives each from `bench.loadgen` in its
own process (servers pinned to core 0, the load generator to core 1 when there are two and the machine
is otherwise idle; see --pin). Each step is a warm-up then three back-to-back measured windows (medians
of their percentiles; losses summed). Ours runs again at the end (A-B-A) unless --quick or --no-repeat;
with --before DIR, the code checked out in DIR ("before") runs first and last instead, so a change is
measured against the code before it in one run. With --profile, py-spy records ours over each step's
measured windows and a table gives its CPU-µs per message by stage (bench/stages.py).
Prints one table with ratios against ours and writes var/bench-chat.json (var/bench-chat-quick.json
for --quick, a CI smoke test, not for figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

from bench import stages
from bench.fixtures import ensure_database
from bench.loadgen import CIRCLE

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "bench"
SERVERS = ("ours", "ours_uvicorn", "tutorial", "tutorial_db", "bare", "ours2", "ours_uvicorn2", "before")
OURS = ("ours", "ours_uvicorn", "ours2", "ours_uvicorn2", "before")  # the application, on its seeded database
# Each server run as two processes behind the same Redis, and the one-process run it is measured against.
SCALE_OUT = {"ours2": "ours", "ours_uvicorn2": "ours_uvicorn"}
SCALE_OUT_TARGET = 1.2  # CPU-µs per delivery of two processes / one
LABELS = {
    "ours": "ours",
    "ours_uvicorn": "ours on uvicorn",
    "ours2": "ours x2 processes",
    "ours_uvicorn2": "ours on uvicorn x2 processes",
    "before": "ours before the change (--before)",
    "tutorial": "tutorial",
    "tutorial_db": "tutorial+db",
    "bare": "bare websockets",
}
FULL = {
    "connections": "1000,5000,10000",
    "rates": "10,25,50,75,100,150,200,250,300,400,500,700,1000,2000,4000",
    "warmup": 2.0,
    "window": 5.0,
    "repeats": 3,
}
QUICK = {"connections": "140", "rates": "25,100", "warmup": 1.0, "window": 3.0, "repeats": 1}
QUIET_LOAD = 1.0  # pin to cores only when the machine is otherwise idle (1-minute load average below this)
RATE_LIMIT = 1_000_000  # CHAT_RATE_LIMIT_MESSAGES for ours: the offered load is far above a person's rate
TARGETS = {"tutorial_db": 8.0, "tutorial": 3.0, "bare": 0.5}
P99_TARGET_MS = 50.0
RSS_TARGET = 1.5  # RSS per 1,000 idle connections, ours / bare


@dataclass
class Settings:
    """What one invocation runs."""

    quick: bool
    servers: list[str]
    connections: list[int]
    rates: str
    warmup: float
    window: float
    repeats: int
    drain: float
    repeat: bool
    pg_url: str
    pin: bool
    pin_reason: str
    report_only: bool = False
    profile: bool = False  # py-spy over each measured step of ours: CPU per message by stage (bench.stages)
    before: Path | None = None  # a checkout of the code before a change: runs as "before", first and last
    before_on: str = "daphne"  # the server "before" runs on (compare it with ours or ours_uvicorn)


def log(text: str) -> None:
    """Progress on stderr."""
    print(f"[bench.chat] {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def db_url(base: str, name: str) -> str:
    """The URL of database `name` on the server of `base`."""
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


class Processes:
    """Every process this run started, each in its own process group, stopped on exit whatever happens."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(
        self, argv: list[str], *, env: dict[str, str], log_name: str, core: int | None, cwd: Path = ROOT
    ) -> subprocess.Popen[bytes]:
        """Start a process (pinned to `core` when given) in `cwd`, with output to var/bench/<log_name>.log."""
        if core is not None:
            argv = ["taskset", "-c", str(core), *argv]
        LOGS.mkdir(parents=True, exist_ok=True)
        with (LOGS / f"{log_name}.log").open("wb") as out:
            process = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM the process group, then SIGKILL after 10 s."""
        if process in self.running:
            self.running.remove(process)
        if process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        """Stop everything still running, newest first."""
        for process in reversed(list(self.running)):
            self.stop(process)


def wait_ready(process: subprocess.Popen[bytes], port: int, *, http: bool, timeout: float = 60.0) -> None:
    """Wait until the server answers on its port (GET /healthz when `http`), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}; see {LOGS}")
        try:
            if http:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            else:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout:.0f} s")


@contextmanager
def private_redis(procs: Processes) -> Iterator[tuple[str, int]]:
    """A private Redis on loopback, no persistence: its CPU is measurable and no one else's keys mix in."""
    port = free_port()
    process = procs.start(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        env=dict(os.environ),
        log_name=f"redis-{port}",
        core=None,
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.RedisError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        client.close()
        procs.stop(process)


class Bench:
    """Prepares databases, starts servers, runs the load generator, collects results."""

    def __init__(self, cfg: Settings, procs: Processes, redis_url: str, redis_pid: int) -> None:
        self.cfg = cfg
        self.procs = procs
        self.redis_url = redis_url
        self.redis_pid = redis_pid
        self.secret = secrets.token_urlsafe(50)
        self.ours_db = db_url(cfg.pg_url, "bench_ours")
        self.tutorial_db = db_url(cfg.pg_url, "bench_tutorial_db")
        self.fixture = LOGS / "ours-fixture.json"
        self.run_number = 0

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TEST_SERVER_", "CHAT_"))}
        for key in ("DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER_PREFIX", "BENCH_DB_URL", "BENCH_REDIS_URL"):
            env.pop(key, None)
        env["SECRET_KEY"] = self.secret
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def ours_env(self) -> dict[str, str]:
        """Production settings on loopback (DEBUG off, plain HTTP, PostgreSQL, Redis), high rate limit."""
        env = self._base_env()
        env.update(
            DJANGO_SETTINGS_MODULE="coaching.settings",
            DEBUG="false",
            HTTPS="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.ours_db,
            REDIS_URL=self.redis_url,
            CHANNEL_LAYER_PREFIX=f"bench{self.run_number}",
            CHAT_RATE_LIMIT_MESSAGES=str(RATE_LIMIT),
            CHAT_RATE_LIMIT_SECONDS="10",
            LOG_LEVEL="WARNING",
        )
        return env

    def baseline_env(self, *, with_db: bool) -> dict[str, str]:
        """The tutorial's own minimal settings, with the Redis (and database) of this run."""
        env = self._base_env()
        env.update(DJANGO_SETTINGS_MODULE="bench.baselines.settings", BENCH_REDIS_URL=self.redis_url)
        if with_db:
            env["BENCH_DB_URL"] = self.tutorial_db
        return env

    def prepare(self) -> None:
        """Seed ours' database and create tutorial+db's table, as the servers asked for need."""
        if self.cfg.before is not None or any(s in OURS for s in self.cfg.servers):
            log("seeding ours (migrate, circles, sessions)")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.fixtures",
                    "--database-url",
                    self.ours_db,
                    "--members",
                    str(max(self.cfg.connections)),
                    "--out",
                    str(self.fixture),
                ],
                cwd=ROOT,
                env=self._base_env(),
                check=True,
                timeout=900,
            )
        if "tutorial_db" in self.cfg.servers:
            ensure_database(self.tutorial_db)
            subprocess.run(
                [sys.executable, "-m", "django", "migrate", "--run-syncdb", "--verbosity", "0"],
                cwd=ROOT,
                env=self.baseline_env(with_db=True),
                check=True,
                timeout=300,
            )

    def _sql(self, url: str, statement: str) -> int | None:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            cursor = conn.execute(statement.encode())
            row = cursor.fetchone() if cursor.description else None
            return None if row is None else int(row[0])

    def _reset_rows(self, server: str) -> None:
        if server in OURS:
            self._sql(self.ours_db, "TRUNCATE chat_message RESTART IDENTITY CASCADE")
            self._sql(self.ours_db, "UPDATE chat_room SET last_seq = 0")
        elif server == "tutorial_db":
            self._sql(self.tutorial_db, "TRUNCATE baselines_chatmessage")

    def _rows(self, server: str) -> int | None:
        """Stored messages once the count has stopped moving (at most 20 s)."""
        if server in OURS:
            url, query = self.ours_db, "SELECT count(*) FROM chat_message"
        elif server == "tutorial_db":
            url, query = self.tutorial_db, "SELECT count(*) FROM baselines_chatmessage"
        else:
            return None
        last, deadline = -1, time.monotonic() + 20
        while True:
            rows = self._sql(url, query)
            if rows == last or time.monotonic() > deadline:
                return rows
            last = rows or 0
            time.sleep(1.0)

    def _start(self, server: str, label: str) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
        core = 0 if self.cfg.pin else None
        count = 2 if server in SCALE_OUT else 1
        ports = [free_port() for _ in range(count)]
        processes = []
        for port in ports:
            if server == "bare":
                argv = [sys.executable, "-m", "bench.baselines.bare", "--port", str(port)]
                env = self._base_env()
            elif server in ("ours_uvicorn", "ours_uvicorn2") or (
                server == "before" and self.cfg.before_on == "uvicorn"
            ):
                argv = [sys.executable, "-m", "coaching.server", "--uvicorn", "--host", "127.0.0.1"]
                argv += ["--port", str(port), "--proxy-headers", "coaching.asgi:application"]
                env = self.ours_env()
            else:
                app = {
                    "ours": "coaching.asgi:application",
                    "ours2": "coaching.asgi:application",
                    "before": "coaching.asgi:application",
                    "tutorial": "bench.baselines.tutorial:application",
                    "tutorial_db": "bench.baselines.tutorial_db:application",
                }[server]
                launcher = "coaching.server" if server in OURS else "daphne"  # ours as the Procfile runs it
                argv = [sys.executable, "-m", launcher, "-b", "127.0.0.1", "-p", str(port), app]
                if server in OURS:
                    argv.insert(3, "--proxy-headers")
                env = (
                    self.ours_env() if server in OURS else self.baseline_env(with_db=server == "tutorial_db")
                )
            cwd = self.cfg.before if server == "before" and self.cfg.before else ROOT
            processes.append(self.procs.start(argv, env=env, log_name=f"{label}-{port}", core=core, cwd=cwd))
        for process, port in zip(processes, ports, strict=True):
            wait_ready(process, port, http=server in OURS)
        return processes, ports

    def run_one(self, server: str, connections: int) -> dict[str, Any]:
        """Start `server` fresh, drive it with the load generator, stop it; the load generator's result."""
        self.run_number += 1
        label = f"{server}-{connections}-{self.run_number}"
        redis.Redis.from_url(self.redis_url).flushall()
        self._reset_rows(server)
        log(f"run {label}: starting {LABELS[server]}")
        processes, ports = self._start(server, label)
        out = LOGS / f"run-{label}.json"
        out.unlink(missing_ok=True)
        kind = "ours" if server in OURS else "bare" if server == "bare" else "tutorial"
        argv = [
            sys.executable,
            "-m",
            "bench.loadgen",
            "--kind",
            kind,
            "--ports",
            ",".join(map(str, ports)),
            "--connections",
            str(connections),
            "--fixture",
            str(self.fixture),
            "--rates",
            self.cfg.rates,
            "--warmup",
            str(self.cfg.warmup),
            "--window",
            str(self.cfg.window),
            "--repeats",
            str(self.cfg.repeats),
            "--drain",
            str(self.cfg.drain),
            "--final-drain",
            str(15.0 if self.cfg.quick else 60.0),
            "--p99-target-ms",
            str(P99_TARGET_MS),
            "--stop-after-fail",
            "--server-pids",
            ",".join(str(p.pid) for p in processes),
            "--redis-pid",
            str(self.redis_pid),
            "--out",
            str(out),
        ]
        profiles = LOGS / f"profile-{label}"
        if self.cfg.profile and server in OURS:
            argv += ["--profile-dir", str(profiles)]
        if self.cfg.pin:
            argv = ["taskset", "-c", "1", *argv]
        try:
            subprocess.run(argv, cwd=ROOT, env=self._base_env(), check=True, timeout=1200)
            result: dict[str, Any] = json.loads(out.read_text())
            result["rows"] = self._rows(server)
            if self.cfg.profile and server in OURS:
                for step in result["steps"]:
                    recorded = profiles / f"{step['offered_sends_per_s']:g}.txt"
                    if recorded.is_file() and step["server_cpu_us_per_delivery"]:
                        step["stages"] = stages.breakdown(
                            recorded,
                            step["server_cpu_us_per_delivery"],
                            step.get("server_loop_cpu_us_per_delivery"),
                        )
        finally:
            for process in processes:
                self.procs.stop(process)
        result.update(server=server, label=LABELS[server], run=self.run_number)
        if result["rows"] is not None:
            result["rows_ok"] = result["rows"] == result["accepted_sends"]
        return result


# -- summary -----------------------------------------------------------------------------------------


def sustained(result: dict[str, Any], criterion: str = "passed") -> dict[str, Any] | None:
    """The highest step meeting `criterion` ("passed": p99, no loss; "kept_up": p50, no loss), or None."""
    # Steps run upwards until one is not kept up, so a passed step never sits above a backlog; a lower step
    # that missed the p99 (one stall on a shared machine) does not cap it.
    met = [step for step in result["steps"] if step[criterion]]
    return max(met, key=lambda s: s["offered_sends_per_s"]) if met else None


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per server and size: medians over repeated runs, ratios against ours."""
    rows = []
    sizes = sorted({r["connections"] for r in results})
    for size in sizes:
        runs = [r for r in results if r["connections"] == size]
        by_server: dict[str, list[dict[str, Any]]] = {}
        for run in runs:
            by_server.setdefault(run["server"], []).append(run)
        size_rows = {server: _row(server, group) for server, group in by_server.items()}
        ours = size_rows.get("ours")
        for row in size_rows.values():
            if ours is not None:
                row["ours_over_this_deliveries"] = _ratio(
                    ours["max_deliveries_per_s"], row["max_deliveries_per_s"]
                )
                row["ours_over_this_kept_up"] = _ratio(
                    ours["kept_up_deliveries_per_s"], row["kept_up_deliveries_per_s"]
                )
                row["this_over_ours_rss"] = _ratio(row["rss_mib_per_1k"], ours["rss_mib_per_1k"])
                row["this_over_ours_cpu"] = _ratio(row["cpu_us_per_delivery"], ours["cpu_us_per_delivery"])
            rows.append(row)
        for double, single in SCALE_OUT.items():
            if double in size_rows and single in size_rows:
                size_rows[double]["scale_out"] = _scale_out(by_server[single], by_server[double])
    return rows


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 2)


def _row(server: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = [sustained(r) for r in runs]
    deliveries = [b["offered_deliveries_per_s"] if b else 0.0 for b in best]
    kept = [sustained(r, "kept_up") for r in runs]
    kept_deliveries = [k["offered_deliveries_per_s"] if k else 0.0 for k in kept]
    first = runs[0]
    ref = best[0] or (first["steps"][0] if first["steps"] else None)
    rss = [r["rss_mib_per_1k"] for r in runs if r["rss_mib_per_1k"] is not None]
    # CPU per delivery at the highest step each run kept up with (under load, not idle), else its first step.
    loaded = [
        k or b or (r["steps"][0] if r["steps"] else {}) for r, b, k in zip(runs, best, kept, strict=True)
    ]
    cpu_values = [c for c in (step.get("server_cpu_us_per_delivery") for step in loaded) if c is not None]
    return {
        "server": server,
        "label": LABELS[server],
        "connections": first["connections"],
        "runs": len(runs),
        "max_deliveries_per_s_each_run": deliveries,
        "max_deliveries_per_s": statistics.median(deliveries),
        "kept_up_deliveries_per_s_each_run": kept_deliveries,
        "kept_up_deliveries_per_s": statistics.median(kept_deliveries),
        "p50_ms_at_max": ref["p50_ms"] if ref else None,
        "p99_ms_at_max": ref["p99_ms"] if ref else None,
        "sustained_any": any(best),
        "kept_up_any": any(kept),
        "lost": sum(r["total_lost"] for r in runs),
        "late_not_lost": any(r["still_arriving_at_end"] for r in runs),
        "duplicates": sum(r["total_duplicates"] for r in runs),
        "rejected": sum(r["total_rejected"] for r in runs),
        "rss_mib_per_1k": round(statistics.median(rss), 2) if rss else None,
        "cpu_us_per_delivery": round(statistics.median(cpu_values), 1) if cpu_values else None,
        "cpu_each_run": [
            [step.get("server_cpu_us_per_delivery"), step.get("offered_deliveries_per_s")] for step in loaded
        ],
        "redis_us_per_delivery": loaded[0].get("redis_cpu_us_per_delivery"),
        "idle_server_cores": statistics.median(r["idle_cores"]["server"] for r in runs),
        "handshakes_retried": sum(sum(r["connect_failures_retried"].values()) for r in runs),
        "rows_ok": all(r.get("rows_ok", True) for r in runs) if any("rows_ok" in r for r in runs) else None,
        "rows": [r.get("rows") for r in runs],
        "accepted_sends": [r["accepted_sends"] for r in runs],
    }


def _scale_out(single: list[dict[str, Any]], double: list[dict[str, Any]]) -> dict[str, Any]:
    """CPU-µs per delivery of two processes against one, at the highest rate both sustained."""
    one = {s["offered_sends_per_s"]: s for s in single[0]["steps"]}
    two = {s["offered_sends_per_s"]: s for s in double[0]["steps"]}
    both_passed = sorted(r for r in set(one) & set(two) if one[r]["passed"] and two[r]["passed"])
    common = both_passed or sorted(set(one) & set(two))[:1]
    if not common:
        return {"sends_per_s": None, "ratio": None, "exactly_once": None}
    rate = common[-1]
    cpu_one, cpu_two = one[rate]["server_cpu_us_per_delivery"], two[rate]["server_cpu_us_per_delivery"]
    return {
        "sends_per_s": rate,
        "both_sustained_it": bool(both_passed),
        "deliveries_per_s": rate * CIRCLE,
        "cpu_us_one": cpu_one,
        "cpu_us_two": cpu_two,
        "ratio": _ratio(cpu_two, cpu_one),
        "exactly_once": all(r["total_lost"] == 0 and r["total_duplicates"] == 0 for r in double),
    }


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[dict[str, Any]]) -> str:
    """The main table: one row per server and size."""
    head = (
        "| server | conns | max deliveries/s, p99 ≤ 50 ms (runs) | ours / this | p50 / p99 ms there "
        "| kept up to deliveries/s, p50 ≤ 50 ms (runs) | ours / this | lost | dup "
        "| RSS MiB per 1k idle conns | this / ours | idle cores | CPU-µs per delivery (runs @ deliveries/s) "
        "| this / ours | redis µs/deliv | rows = sends | handshakes retried |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        runs = " / ".join(_fmt(d) for d in r["max_deliveries_per_s_each_run"])
        most = _fmt(r["max_deliveries_per_s"]) if r["sustained_any"] else "< lowest step"
        kept_runs = " / ".join(_fmt(d) for d in r["kept_up_deliveries_per_s_each_run"])
        kept = _fmt(r["kept_up_deliveries_per_s"]) if r["kept_up_any"] else "< lowest step"
        lines.append(
            f"| {r['label']} | {r['connections']:,} | {most} ({runs}) "
            f"| {_fmt(r.get('ours_over_this_deliveries'), '.2f')} "
            f"| {_fmt(r['p50_ms_at_max'], '.1f')} / {_fmt(r['p99_ms_at_max'], '.1f')} "
            f"| {kept} ({kept_runs}) | {_fmt(r.get('ours_over_this_kept_up'), '.2f')} "
            f"| {r['lost']}{' (late)' if r['late_not_lost'] else ''} | {r['duplicates']} "
            f"| {_fmt(r['rss_mib_per_1k'], '.1f')} | {_fmt(r.get('this_over_ours_rss'), '.2f')} "
            f"| {_fmt(r['idle_server_cores'], '.2f')} "
            f"| {_fmt(r['cpu_us_per_delivery'], ',.0f')} ({_cpu_runs(r)}) "
            f"| {_fmt(r.get('this_over_ours_cpu'), '.2f')} "
            f"| {_fmt(r['redis_us_per_delivery'], '.1f')} "
            f"| {'-' if r['rows_ok'] is None else ('yes' if r['rows_ok'] else 'NO')} "
            f"| {r['handshakes_retried']} |"
        )
    return "\n".join(lines)


def _cpu_runs(row: dict[str, Any]) -> str:
    return " / ".join(f"{_fmt(cpu)} @{_fmt(rate)}" for cpu, rate in row["cpu_each_run"])


def _windows(step: dict[str, Any]) -> str:
    return " / ".join(_fmt(v, ".0f") for v in step.get("p99_ms_each_window", []))


def step_table(results: list[dict[str, Any]]) -> str:
    """Every step of every run: offered rate, latency, loss, CPU."""
    head = (
        "| run | server | conns | sends/s offered (achieved) | deliveries/s | p50 ms | p99 ms (each window) "
        "| all-7 p99 ms "
        "| lost | dup | rejected | server µs/deliv | server cores | loadgen cores | p99 ≤ 50 | kept up |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        for s in r["steps"]:
            lines.append(
                f"| {r['run']} | {r['label']} | {r['connections']:,} | {s['offered_sends_per_s']:,.0f} "
                f"({s['achieved_sends_per_s']:,.0f}) | {s['offered_deliveries_per_s']:,.0f} "
                f"| {_fmt(s['p50_ms'], '.1f')} | {_fmt(s['p99_ms'], '.1f')} ({_windows(s)}) "
                f"| {_fmt(s['all_members_p99_ms'], '.1f')} | {s['lost']} | {s['duplicates']} "
                f"| {s['rejected']} "
                f"| {_fmt(s['server_cpu_us_per_delivery'], '.1f')} "
                f"| {_fmt(s['server_cores_busy'], '.2f')} | {_fmt(s['loadgen_cores_busy'], '.2f')} "
                f"| {'yes' if s['passed'] else 'no'} | {'yes' if s['kept_up'] else 'no'} |"
            )
    return "\n".join(lines)


def _verdicts_of(at: dict[str, dict[str, Any]], subject: str, size: int) -> list[str]:
    """The ratio, loss and memory targets of one of ours (`subject`) against the baselines of its run."""
    ours, name, lines = at[subject], LABELS[subject], []
    for server, target in TARGETS.items():
        if server in at:
            ratio = _ratio(ours["max_deliveries_per_s"], at[server]["max_deliveries_per_s"])
            ok = ratio is not None and ratio >= target
            if not at[server]["sustained_any"] and ours["sustained_any"]:
                ok, ratio_text = True, "inf (it sustained no step)"
            else:
                ratio_text = _fmt(ratio, ".2f")
            kept = _fmt(
                _ratio(ours["kept_up_deliveries_per_s"], at[server]["kept_up_deliveries_per_s"]), ".2f"
            )
            lines.append(
                f"{size:,} conns: {name} / {LABELS[server]} max deliveries/s = {ratio_text} "
                f"(target >= {target}): {'met' if ok else 'NOT met'}; kept-up ratio {kept}"
            )
    lines.append(
        f"{size:,} conns: {name} lost {ours['lost']}, duplicated {ours['duplicates']} "
        f"(target 0): {'met' if ours['lost'] == 0 and ours['duplicates'] == 0 else 'NOT met'}"
    )
    if "bare" in at:
        rss = _ratio(ours["rss_mib_per_1k"], at["bare"]["rss_mib_per_1k"])
        lines.append(
            f"{size:,} conns: {name} / bare RSS per 1k idle connections = {_fmt(rss, '.2f')} "
            f"(target <= {RSS_TARGET}): {'met' if rss is not None and rss <= RSS_TARGET else 'NOT met'}"
        )
    return lines


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """The targets (docs/benchmarks.md), each with its measured value, for ours on each server run."""
    lines = []
    for size in sorted({r["connections"] for r in rows}):
        at = {r["server"]: r for r in rows if r["connections"] == size}
        for subject in ("ours", "ours_uvicorn"):
            if subject in at:
                lines += _verdicts_of(at, subject, size)
        for double, single in SCALE_OUT.items():
            so = at.get(double, {}).get("scale_out")
            if not so:
                continue
            ok = so.get("ratio") is not None and so["ratio"] <= SCALE_OUT_TARGET and so.get("exactly_once")
            lines.append(
                f"{size:,} conns: {LABELS[double]} / {LABELS[single]}, CPU-µs per delivery at "
                f"{_fmt(so.get('sends_per_s'))} sends/s = {_fmt(so.get('ratio'), '.2f')} "
                f"({so.get('cpu_us_two')} vs {so.get('cpu_us_one')}), every delivery exactly once: "
                f"{so.get('exactly_once')} (target <= {SCALE_OUT_TARGET}): {'met' if ok else 'NOT met'}"
            )
    return lines


def machine() -> dict[str, Any]:
    """What the figures ran on, and how busy it was."""
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "model": model,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _pinning(choice: str) -> tuple[bool, str]:
    """Whether to pin servers and load generator to their own cores, and why."""
    # Pinning keeps them apart on an idle machine; on a shared one it ties each to a core that other work
    # also wants, and a pinned process waits for its core while the other one idles.
    cpus, load = os.cpu_count() or 1, os.getloadavg()[0]
    if cpus < 2:
        return False, "one CPU: nothing to pin to"
    if choice == "yes":
        return True, "--pin yes"
    if choice == "no":
        return False, "--pin no"
    if load < QUIET_LOAD:
        return True, f"auto: load average {load:.2f} < {QUIET_LOAD}"
    return False, f"auto: load average {load:.2f} >= {QUIET_LOAD} (shared machine), not pinned"


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, Path]:
    """Command line to settings and the output path."""
    parser = argparse.ArgumentParser(prog="python -m bench.chat", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="140 connections, two short steps: CI smoke only"
    )
    parser.add_argument(
        "--servers", default=",".join(SERVERS[:-1]), help=f"comma-separated, from {','.join(SERVERS[:-1])}"
    )
    parser.add_argument("--connections", default=None, help="comma-separated sizes (default 1000,5000,10000)")
    parser.add_argument("--rates", default=None, help="offered sends/s per step, comma-separated")
    parser.add_argument("--warmup", type=float, default=None)
    parser.add_argument("--window", type=float, default=None)
    parser.add_argument("--no-repeat", action="store_true", help="skip the second run of ours (A-B-A)")
    parser.add_argument(
        "--pin",
        choices=("auto", "yes", "no"),
        default="auto",
        help="servers on core 0, load generator on core 1 (auto: with 2+ cores on an idle machine)",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="any database on the PostgreSQL server to use; bench databases are created beside it",
    )
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="a checkout of the code before a change (e.g. a git worktree): it runs first and last (A-B-A)",
    )
    parser.add_argument(
        "--before-on", choices=("daphne", "uvicorn"), default="daphne", help="the server --before runs on"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile ours with py-spy in each measured step and print CPU-µs per message by stage",
    )
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=None, help="re-summarise a saved JSON; runs nothing")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    pin, reason = _pinning(args.pin)
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = set(servers) - set(SERVERS[:-1])  # "before" comes with --before
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    cfg = Settings(
        quick=args.quick,
        servers=servers,
        connections=[int(c) for c in (args.connections or str(base["connections"])).split(",")],
        rates=args.rates or str(base["rates"]),
        warmup=args.warmup if args.warmup is not None else float(str(base["warmup"])),
        window=args.window if args.window is not None else float(str(base["window"])),
        repeats=int(str(base["repeats"])),
        drain=2.0 if args.quick else 5.0,
        repeat=not (args.quick or args.no_repeat),
        pg_url=args.pg_url,
        pin=pin,
        pin_reason=reason,
    )
    output = (
        args.report
        or args.output
        or ROOT / "var" / ("bench-chat-quick.json" if args.quick else "bench-chat.json")
    )
    cfg.report_only = args.report is not None
    cfg.profile = args.profile
    if args.before is not None:
        if not (args.before / "coaching" / "asgi.py").is_file():
            parser.error(f"--before {args.before}: not a checkout of this project")
        cfg.before = args.before.resolve()
        cfg.before_on = args.before_on
    return cfg, output


def print_tables(results: list[dict[str, Any]], rows: list[dict[str, Any]], verdict_lines: list[str]) -> None:
    """The main table, the per-step table and the verdicts on stdout."""
    print(table(rows))
    print()
    print(step_table(results))
    print()
    profiled = {
        f"{r['label']} (run {r['run']}) @{step['offered_sends_per_s']:g}/s": step["stages"]
        for r in results
        for step in r["steps"]
        if step.get("stages")
    }
    if profiled:
        print(stages.table(profiled))
        print()
    for line in verdict_lines:
        print(line)


def report_again(path: Path) -> int:
    """Summarise the runs of a saved JSON again (after a change to the summary), print, and rewrite it."""
    report = json.loads(path.read_text())
    rows = summarise(report["runs"])
    report.update(rows=rows, verdicts=verdicts(rows))
    path.write_text(json.dumps(report, indent=1))
    print_tables(report["runs"], rows, report["verdicts"])
    print(f"\n{report['command']}; machine {report['machine']}; load before {report['load_average_before']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run every server at every size, print the tables, write the JSON."""
    cfg, output = parse_args(argv)
    if cfg.report_only:
        return report_again(output)
    procs = Processes()
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: list[dict[str, Any]] = []
    load_before = machine()["load_average"]
    log(f"pinning: {'yes' if cfg.pin else 'no'} ({cfg.pin_reason})")
    try:
        with private_redis(procs) as (redis_url, redis_pid):
            bench = Bench(cfg, procs, redis_url, redis_pid)
            bench.prepare()
            order = list(cfg.servers)
            if cfg.before is not None:  # the code before the change, first and last: A-B-A
                order = ["before", *order, "before"]
            elif cfg.repeat and "ours" in order:
                order.append("ours")
            for size in cfg.connections:
                for server in order:
                    results.append(bench.run_one(server, size))
    finally:
        procs.stop_all()
    rows = summarise(results)
    report = {
        "command": "python -m bench.chat " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine(),
        "load_average_before": load_before,
        "elapsed_s": round(time.monotonic() - started, 1),
        "settings": {
            **cfg.__dict__,
            "before": str(cfg.before or ""),
            "chat_rate_limit_messages_for_ours": RATE_LIMIT,
        },
        "deliveries_count_the_sender": True,
        "rows": rows,
        "verdicts": verdicts(rows),
        "runs": results,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1))
    print_tables(results, rows, report["verdicts"])
    print(
        f"\n{report['machine']['cpus']} CPUs, {report['machine']['model']}; load average "
        f"{load_before} before, {report['machine']['load_average']} after; {report['elapsed_s']:.0f} s; "
        f"pinned: {'yes' if cfg.pin else 'no'} ({cfg.pin_reason}); "
        "deliveries count the sender (7 per message); "
        f"ours ran with CHAT_RATE_LIMIT_MESSAGES={RATE_LIMIT:,}; "
        f"JSON in {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
