"""Load generator of the chat fan-out benchmark: own process, asyncio, `websockets` client, no compression.

`python -m bench.loadgen --kind ours|tutorial|bare --ports P[,P2] --connections N --rates R1,R2 … --out FILE`
opens N connections (rounded up to circles of 7; with two ports, connections alternate between
them, so every circle is spread over both servers), reads the servers' RSS before and after, then
for each offered rate sends open-loop (a schedule fixed in advance, never waiting for answers): a
warm-up, then a measured window during which the servers' CPU time (/proc/<pid>/stat) is read at
both ends. Every message carries its sender, a sequence number and its scheduled send time; each
member's receipt is matched per receiver per message, so lost and duplicated deliveries are counted
exactly and latency runs from the scheduled send time to each receipt. Deliveries include the sender
(7 per message). The result is written as JSON; the driver (`bench.chat`) prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.frames import Frame, Opcode
from websockets.protocol import Event, State
from websockets.typing import Origin

CIRCLE = 7
FULL = (1 << CIRCLE) - 1
BODY_BYTES = 100
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SEQ_BITS = 40
IDLE_WINDOW = 3.0
CONNECT_ATTEMPTS = 6
STALL_SECONDS = 5.0


class FastConnection(ClientConnection):
    """The websockets client, handing each whole text frame to a callback rather than queueing it for recv."""

    on_text: Callable[[bytes], None] | None = None

    def process_event(self, event: Event) -> None:
        """Text frames go straight to `on_text` once it is set; everything else as websockets does it."""
        handler = self.on_text
        if handler is not None and isinstance(event, Frame) and event.opcode is Opcode.TEXT and event.fin:
            handler(bytes(event.data))
            return
        super().process_event(event)


@dataclass
class Phase:
    """One warm-up or measured window of a step: its messages and what became of them."""

    step: int
    rate: float
    measured: bool
    first_seq: int = 0
    end_seq: int = 0
    duration: float = 0.0
    rejected: int = 0
    duplicates: int = 0
    latencies: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)


@dataclass
class Conn:
    """One member's socket."""

    index: int
    circle: int
    position: int
    port: int
    url: str
    cookie: str = ""
    ws: FastConnection | None = None


class Tracker:
    """Every message sent and every receipt, per receiver per message."""

    def __init__(self) -> None:
        self.sched: list[float] = []
        self.expected: list[int] = []
        self.got: list[int] = []
        self.worst: list[float] = []
        self.phase_of: list[int] = []
        self.phases: list[Phase] = []
        self.outstanding = 0
        self.stray = 0
        self.other_errors: dict[str, int] = {}

    def sent(self, seq: int, sched: float, phase: int) -> None:
        """Record a send before it goes on the wire."""
        self.sched.append(sched)
        self.expected.append(FULL)
        self.got.append(0)
        self.worst.append(0.0)
        self.phase_of.append(phase)
        self.outstanding += CIRCLE

    def deliver(self, seq: int, position: int, latency: float) -> None:
        """Record one member's receipt of one message."""
        if seq >= len(self.got):
            self.stray += 1
            return
        bit = 1 << position
        got = self.got[seq]
        phase = self.phases[self.phase_of[seq]]
        if got & bit:
            phase.duplicates += 1
            return
        self.got[seq] = got | bit
        if self.expected[seq] & bit:
            self.outstanding -= 1
        phase.latencies.append(latency)
        if latency > self.worst[seq]:
            self.worst[seq] = latency

    def reject(self, seq: int) -> None:
        """The server refused a send (an `error` frame answering it): nobody should receive it."""
        if seq < len(self.expected) and self.expected[seq]:
            self.outstanding -= (self.expected[seq] & ~self.got[seq]).bit_count()
            self.expected[seq] = 0
            self.phases[self.phase_of[seq]].rejected += 1

    def error(self, code: str) -> None:
        """Count an error frame that answers no send."""
        self.other_errors[code] = self.other_errors.get(code, 0) + 1


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) from /proc/<pid>/stat."""
    return proc_cpu_of(Path(f"/proc/{pid}/stat"))


def proc_loop_thread_cpu(pid: int) -> float:
    """User + system CPU seconds of a process's main thread, the one that runs its event loop."""
    return proc_cpu_of(Path(f"/proc/{pid}/task/{pid}/stat"))


def proc_cpu_of(stat: Path) -> float:
    """User + system CPU seconds from a /proc stat file (a process's or one thread's)."""
    text = stat.read_text()
    fields = text[text.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def self_cpu() -> float:
    """CPU seconds this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(ordered: list[float], q: float) -> float | None:
    """The q-quantile (0..1) of an ascending list by nearest rank, or None when empty."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


class LoadGen:
    """Opens the sockets, runs the stepped open-loop schedule and measures."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.kind: str = args.kind
        self.ports: list[int] = [int(p) for p in args.ports.split(",")]
        self.server_pids: list[int] = [int(p) for p in args.server_pids.split(",") if p]
        self.redis_pid: int = args.redis_pid
        self.tracker = Tracker()
        self.base_uuid = random.getrandbits(128) & ~((1 << SEQ_BITS) - 1)
        self.seq = 0
        self.sends = 0
        self.connect_failures: dict[str, int] = {}
        self.conns = self._plan()
        self.circles = len(self.conns) // CIRCLE

    def _plan(self) -> list[Conn]:
        circles = math.ceil(self.args.connections / CIRCLE)
        fixture: list[dict[str, Any]] = []
        cookie_name = "sessionid"
        if self.kind == "ours":
            data = json.loads(Path(self.args.fixture).read_text())
            fixture, cookie_name = data["circles"], data["cookie_name"]
            if len(fixture) < circles:
                raise SystemExit(f"fixture has {len(fixture)} circles, {circles} needed")
        conns = []
        for index in range(circles * CIRCLE):
            circle, position = divmod(index, CIRCLE)
            port = self.ports[index % len(self.ports)]
            base = f"ws://127.0.0.1:{port}"
            if self.kind == "ours":
                room = fixture[circle]
                url = f"{base}/ws/circles/{room['id']}/"
                cookie = f"{cookie_name}={room['members'][position][1]}"
            elif self.kind == "tutorial":
                url, cookie = f"{base}/ws/chat/r{circle}/", ""
            else:
                url, cookie = f"{base}/r{circle}", ""
            conns.append(Conn(index, circle, position, port, url, cookie))
        return conns

    # -- connections ---------------------------------------------------------------------------

    async def _open(self, conn: Conn, gate: asyncio.Semaphore) -> None:
        async with gate:
            for attempt in range(CONNECT_ATTEMPTS):
                try:
                    conn.ws = await self._handshake(conn)
                    return
                except (OSError, TimeoutError, WebSocketException, RuntimeError) as exc:
                    # A refused or dropped handshake is retried, as a real client reconnects; it is counted.
                    name = type(exc).__name__
                    self.connect_failures[name] = self.connect_failures.get(name, 0) + 1
                    if attempt == CONNECT_ATTEMPTS - 1:
                        raise RuntimeError(f"connection {conn.index} to {conn.url} failed: {exc!r}") from exc
                    await asyncio.sleep(0.5 * (attempt + 1))

    async def _handshake(self, conn: Conn) -> FastConnection:
        ws = await connect(
            conn.url,
            create_connection=FastConnection,
            origin=Origin(f"http://127.0.0.1:{conn.port}"),
            additional_headers={"Cookie": conn.cookie} if conn.cookie else {},
            compression=None,
            open_timeout=30,
            ping_interval=None,
            close_timeout=2,
            max_size=2**20,
        )
        assert isinstance(ws, FastConnection)
        if self.kind == "ours":
            try:
                hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if hello.get("type") != "hello":
                    raise RuntimeError(f"expected hello, got {hello}")
            except BaseException:
                ws.transport.abort()
                raise
        ws.on_text = self._receiver(conn.position)
        return ws

    def _receiver(self, position: int) -> Callable[[bytes], None]:
        """The callback that records every text frame one member receives."""
        deliver = self.tracker.deliver
        monotonic = time.monotonic
        loads = json.loads
        on_error = self._on_error

        if self.kind == "ours":

            def receive(raw: bytes) -> None:
                now = monotonic()
                if not raw.startswith(b'{"type":"message.new"'):
                    if raw.startswith(b'{"type":"error"'):
                        on_error(loads(raw))
                    return
                _sender, seq, sched, _pad = loads(raw)["message"]["body"].split(" ", 3)
                deliver(int(seq), position, now - float(sched))

        else:

            def receive(raw: bytes) -> None:
                now = monotonic()
                _sender, seq, sched, _pad = loads(raw)["message"].split(" ", 3)
                deliver(int(seq), position, now - float(sched))

        return receive

    def _on_error(self, frame: dict[str, Any]) -> None:
        client_id = frame.get("client_id")
        if client_id:
            self.tracker.reject(uuid.UUID(client_id).int & ((1 << SEQ_BITS) - 1))
            self.tracker.error("rejected:" + str(frame.get("code")))
        else:
            self.tracker.error(str(frame.get("code")))

    # -- sending ---------------------------------------------------------------------------------

    def _frame(self, sender: int, seq: int, sched: float) -> str:
        head = f"{sender} {seq} {sched:.6f} "
        body = head + "x" * max(1, BODY_BYTES - len(head))
        if self.kind == "ours":
            client_id = uuid.UUID(int=self.base_uuid | seq)
            return f'{{"type":"message.send","client_id":"{client_id}","body":"{body}"}}'
        return f'{{"message":"{body}"}}'

    async def _send_phase(self, phase_index: int, rate: float, duration: float) -> float:
        """Send `rate` messages per second for `duration` seconds on a fixed schedule; the wall time taken."""
        tracker = self.tracker
        phase = tracker.phases[phase_index]
        phase.first_seq = self.seq
        total = int(rate * duration)
        circles = self.circles
        start = time.monotonic() + 0.002
        sent = 0
        while sent < total:
            due = min(total, int((time.monotonic() - start) * rate) + 1)
            while sent < due:
                sched = start + sent / rate
                k = self.sends
                conn = self.conns[(k % circles) * CIRCLE + (k // circles) % CIRCLE]
                seq = self.seq
                tracker.sent(seq, sched, phase_index)
                self.seq += 1
                self.sends += 1
                sent += 1
                ws = conn.ws
                assert ws is not None
                try:
                    await ws.send(self._frame(conn.index, seq, sched))
                except ConnectionClosed:
                    tracker.reject(seq)
            delay = start + sent / rate - time.monotonic()
            await asyncio.sleep(max(0.0, delay))
        phase.end_seq = self.seq
        return time.monotonic() - start

    async def _drain(self, seconds: float) -> bool:
        """Wait until every expected delivery so far arrived, at most `seconds`; True when none is missing."""
        deadline = time.monotonic() + seconds
        while self.tracker.outstanding > 0 and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a counter
            await asyncio.sleep(0.02)
        return self.tracker.outstanding <= 0

    async def _final_drain(self, cap: float) -> bool:
        """Wait for stragglers while they come (5 s without one ends it); True if still arriving at `cap`."""
        deadline = time.monotonic() + cap
        last, last_change = self.tracker.outstanding, time.monotonic()
        while self.tracker.outstanding > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if self.tracker.outstanding != last:
                last, last_change = self.tracker.outstanding, time.monotonic()
            elif time.monotonic() - last_change > STALL_SECONDS:
                return False
        return self.tracker.outstanding > 0 and time.monotonic() - last_change <= STALL_SECONDS

    def _cpu(self) -> dict[str, float]:
        cpu = {
            "server": sum(proc_cpu(pid) for pid in self.server_pids),
            # The event loop's thread; the rest of the server's CPU is its other threads (the database's).
            "server_loop": sum(proc_loop_thread_cpu(pid) for pid in self.server_pids),
            "loadgen": self_cpu(),
        }
        if self.redis_pid:
            cpu["redis"] = proc_cpu(self.redis_pid)
        return cpu

    def _rss(self) -> int:
        return sum(proc_rss_kib(pid) for pid in self.server_pids)

    # -- the run ---------------------------------------------------------------------------------

    def _profile(self, rate: float) -> subprocess.Popen[bytes] | None:
        """With --profile-dir: py-spy records the (first) server over this step's measured windows."""
        if self.args.profile_dir is None or not self.server_pids:
            return None
        self.args.profile_dir.mkdir(parents=True, exist_ok=True)
        seconds = max(1, round(self.args.window * self.args.repeats))
        out = self.args.profile_dir / f"{rate:g}.txt"
        argv = ["py-spy", "record", "--pid", str(self.server_pids[0]), "--rate", "250", "--threads"]
        argv += ["--nonblocking", "--format", "raw", "--duration", str(seconds), "--output", str(out)]
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("py-spy")), *argv[1:]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def run(self) -> dict[str, Any]:
        """Connect, measure RSS, run the steps; the results as a dict."""
        args = self.args
        gate = asyncio.Semaphore(args.connect_concurrency)
        started = time.monotonic()
        first, rest = self.conns[:CIRCLE], self.conns[CIRCLE:]
        await asyncio.gather(*(self._open(conn, gate) for conn in first))
        await asyncio.sleep(1.0)
        rss_before = self._rss()
        await asyncio.gather(*(self._open(conn, gate) for conn in rest))
        connect_s = time.monotonic() - started
        await asyncio.sleep(2.0)
        rss_after = self._rss()
        idle_before = self._cpu()
        await asyncio.sleep(IDLE_WINDOW)
        idle_cpu = {key: (value - idle_before[key]) / IDLE_WINDOW for key, value in self._cpu().items()}
        gc.collect()
        gc.freeze()
        log(
            f"{len(self.conns)} connections open in {connect_s:.1f} s (failed attempts retried: "
            f"{self.connect_failures or 'none'}); RSS {rss_before} -> {rss_after} KiB"
        )
        still_arriving = False
        try:
            for step, rate in enumerate(float(r) for r in args.rates.split(",")):
                await self._drain(args.drain)
                warm = len(self.tracker.phases)
                self.tracker.phases.append(Phase(step, rate, measured=False))
                await self._send_phase(warm, rate, args.warmup)
                profiler = self._profile(rate)
                for _window in range(args.repeats):  # back-to-back measured windows, no gap in the load
                    measured = len(self.tracker.phases)
                    phase = Phase(step, rate, measured=True)
                    self.tracker.phases.append(phase)
                    before = self._cpu()
                    phase.duration = await self._send_phase(measured, rate, args.window)
                    after = self._cpu()
                    phase.cpu = {key: after[key] - before[key] for key in after}
                if profiler is not None:
                    await asyncio.to_thread(profiler.wait, 60)
                await self._drain(args.drain)
                summary = self._step(step)
                log(_step_line(self.kind, summary))
                if not summary["kept_up"] and args.stop_after_fail:
                    break
            still_arriving = await self._final_drain(args.final_drain)
        finally:
            gc.unfreeze()
        steps = [self._step(step) for step in sorted({p.step for p in self.tracker.phases})]
        result = {
            "kind": self.kind,
            "ports": self.ports,
            "connections": len(self.conns),
            "circles": self.circles,
            "connect_s": round(connect_s, 2),
            "connect_failures_retried": self.connect_failures,
            "rss_kib_before": rss_before,
            "rss_kib_after": rss_after,
            "rss_kib_end": self._rss(),
            "idle_cores": {key: round(value, 3) for key, value in idle_cpu.items()},
            "rss_mib_per_1k": round((rss_after - rss_before) / 1024 / (len(rest) / 1000), 2)
            if rest
            else None,
            "steps": steps,
            "total_sends": self.sends,
            "total_rejected": sum(p.rejected for p in self.tracker.phases),
            "accepted_sends": self.sends - sum(p.rejected for p in self.tracker.phases),
            "total_lost": sum(self._lost(p) for p in self.tracker.phases),
            "still_arriving_at_end": still_arriving,
            "total_duplicates": sum(p.duplicates for p in self.tracker.phases),
            "stray_frames": self.tracker.stray,
            "other_errors": self.tracker.other_errors,
            "closed_early": sum(1 for c in self.conns if c.ws is None or c.ws.state is not State.OPEN),
        }
        for conn in self.conns:  # the driver stops the servers next; no need for 5,000 closing handshakes
            if conn.ws is not None:
                conn.ws.transport.abort()
        return result

    def _lost(self, phase: Phase) -> int:
        tracker = self.tracker
        return sum(
            (tracker.expected[s] & ~tracker.got[s]).bit_count() for s in range(phase.first_seq, phase.end_seq)
        )

    def _step(self, step: int) -> dict[str, Any]:
        """A step over its measured windows: median latencies, summed losses, CPU over all of them."""
        windows = [self._summarise(p) for p in self.tracker.phases if p.measured and p.step == step]
        phases = [p for p in self.tracker.phases if p.measured and p.step == step]
        rate = phases[0].rate
        duration = sum(p.duration for p in phases)
        cpu = {key: sum(p.cpu.get(key, 0.0) for p in phases) for key in phases[0].cpu}
        deliveries = sum(w["sends"] - w["rejected"] for w in windows) * CIRCLE
        lost = sum(w["lost"] for w in windows)
        duplicates = sum(w["duplicates"] for w in windows)
        rejected = sum(w["rejected"] for w in windows)
        p99 = _median([w["p99_ms"] for w in windows])
        achieved = sum(w["sends"] for w in windows) / duration if duration else 0.0
        p50 = _median([w["p50_ms"] for w in windows])
        clean = lost == 0 and duplicates == 0 and rejected == 0 and achieved >= 0.95 * rate
        passed = clean and p99 is not None and p99 <= self.args.p99_target_ms
        # Kept up: the median delivery is on time, so no backlog builds; rare stalls (a shared machine's other
        # work) move the p99 but not this.
        kept_up = clean and p50 is not None and p50 <= self.args.p99_target_ms

        def per_delivery(key: str) -> float | None:
            return round(cpu[key] * 1e6 / deliveries, 2) if deliveries and key in cpu else None

        def busy(key: str) -> float | None:
            return round(cpu.get(key, 0.0) / duration, 2) if duration else None

        return {
            "step": step,
            "offered_sends_per_s": rate,
            "offered_deliveries_per_s": rate * CIRCLE,
            "achieved_sends_per_s": round(achieved, 1),
            "windows": len(windows),
            "window_s": round(duration / len(windows), 3),
            "sends": sum(w["sends"] for w in windows),
            "rejected": rejected,
            "expected_deliveries": sum(w["expected_deliveries"] for w in windows),
            "received": sum(w["received"] for w in windows),
            "lost": lost,
            "duplicates": duplicates,
            "p50_ms": p50,
            "p90_ms": _median([w["p90_ms"] for w in windows]),
            "p99_ms": p99,
            "p99_ms_each_window": [w["p99_ms"] for w in windows],
            "max_ms": max((w["max_ms"] for w in windows if w["max_ms"] is not None), default=None),
            "all_members_p99_ms": _median([w["all_members_p99_ms"] for w in windows]),
            "server_cpu_s": round(cpu.get("server", 0.0), 3),
            "server_cpu_us_per_delivery": per_delivery("server"),
            "server_loop_cpu_us_per_delivery": per_delivery("server_loop"),
            "redis_cpu_us_per_delivery": per_delivery("redis"),
            "server_cores_busy": busy("server"),
            "loadgen_cores_busy": busy("loadgen"),
            "passed": passed,
            "kept_up": kept_up,
            "per_window": windows,
        }

    def _summarise(self, phase: Phase) -> dict[str, Any]:
        """One measured window: what was sent, received, lost, how late, and the CPU it took."""
        tracker = self.tracker
        seqs = range(phase.first_seq, phase.end_seq)
        sends = len(seqs)
        expected = sum(tracker.expected[s].bit_count() for s in seqs)
        lost = self._lost(phase)
        ordered = sorted(phase.latencies)
        complete = sorted(
            tracker.worst[s] for s in seqs if tracker.expected[s] and tracker.got[s] == tracker.expected[s]
        )
        p99 = percentile(ordered, 0.99)
        achieved = sends / phase.duration if phase.duration else 0.0
        cpu = phase.cpu
        deliveries = (sends - phase.rejected) * CIRCLE

        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000, 2)

        return {
            "step": phase.step,
            "offered_sends_per_s": phase.rate,
            "offered_deliveries_per_s": phase.rate * CIRCLE,
            "achieved_sends_per_s": round(achieved, 1),
            "window_s": round(phase.duration, 3),
            "sends": sends,
            "rejected": phase.rejected,
            "expected_deliveries": expected,
            "received": len(ordered),
            "lost": lost,
            "duplicates": phase.duplicates,
            "p50_ms": ms(percentile(ordered, 0.5)),
            "p90_ms": ms(percentile(ordered, 0.9)),
            "p99_ms": ms(p99),
            "p999_ms": ms(percentile(ordered, 0.999)),
            "max_ms": ms(ordered[-1] if ordered else None),
            "all_members_p99_ms": ms(percentile(complete, 0.99)),
            "server_cpu_s": round(cpu.get("server", 0.0), 3),
            "server_cpu_us_per_delivery": round(cpu["server"] * 1e6 / deliveries, 2)
            if deliveries and "server" in cpu
            else None,
            "redis_cpu_us_per_delivery": round(cpu["redis"] * 1e6 / deliveries, 2)
            if deliveries and "redis" in cpu
            else None,
            "server_cores_busy": round(cpu.get("server", 0.0) / phase.duration, 2)
            if phase.duration
            else None,
            "loadgen_cores_busy": round(cpu.get("loadgen", 0.0) / phase.duration, 2)
            if phase.duration
            else None,
        }


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def _step_line(kind: str, s: dict[str, Any]) -> str:
    return (
        f"{kind}: {s['offered_sends_per_s']:.0f} sends/s -> p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, "
        f"lost {s['lost']}, dup {s['duplicates']}, rejected {s['rejected']}, "
        f"server {s['server_cpu_us_per_delivery']} us/delivery ({s['server_cores_busy']} cores), "
        f"loadgen {s['loadgen_cores_busy']} cores: p99 target {'met' if s['passed'] else 'missed'}, "
        f"{'kept up' if s['kept_up'] else 'fell behind'}"
    )


def log(text: str) -> None:
    """Progress on stderr."""
    print(f"[loadgen] {text}", file=sys.stderr, flush=True)


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(needed, soft)), hard))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one load against one server (or two processes of one) and write the JSON result."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--kind", choices=("ours", "tutorial", "bare"), required=True)
    parser.add_argument("--ports", required=True, help="comma-separated; connections alternate between them")
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--fixture", default="", help="circles and session keys (ours)")
    parser.add_argument("--rates", required=True, help="offered sends per second, comma-separated steps")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--window", type=float, default=5.0, help="length of one measured window, s")
    parser.add_argument(
        "--repeats", type=int, default=3, help="measured windows per step (medians are taken)"
    )
    parser.add_argument("--drain", type=float, default=5.0, help="s to wait for stragglers after a step")
    parser.add_argument("--final-drain", type=float, default=60.0, help="cap on the wait for stragglers, s")
    parser.add_argument("--p99-target-ms", type=float, default=50.0)
    parser.add_argument("--stop-after-fail", action="store_true", help="stop at the first step not kept up")
    parser.add_argument("--server-pids", default="")
    parser.add_argument("--redis-pid", type=int, default=0)
    parser.add_argument("--connect-concurrency", type=int, default=16)
    parser.add_argument("--time-limit", type=float, default=900.0, help="hard limit for the whole run, s")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--profile-dir", type=Path, default=None, help="py-spy profiles of each step's measured windows here"
    )
    args = parser.parse_args(argv)
    _raise_fd_limit(args.connections + 256)

    async def bounded() -> dict[str, Any]:
        async with asyncio.timeout(args.time_limit):
            return await LoadGen(args).run()

    result = asyncio.run(bounded())
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
