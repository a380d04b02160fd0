"""Distance benchmark: `python -m bench.distance [--rtt-ms 150] [--repeats 5] [--server daphne|uvicorn]`.

How many round trips a member far away waits, in Chromium, through a delay proxy on loopback (this
kernel has no netem): every chunk is held half the RTT each way, and a new connection's first bytes leave
one RTT after it opened (its TCP handshake). The demo is seeded in its own database (`bench_distance`);
kofi signs in through the proxy and has visited his home page (signed in, the site's files cached).

Prints, as medians over the repeats, in RTTs:
- **open**: navigating to his circle's page until its chat is caught up (`window.circlesChat.caughtUpAt`,
  measured from the navigation's start); target at most 6.
- **after a drop**: every connection through the proxy cut, grace (not behind the proxy) sends a
  message at once; until kofi's page holds it; target at most 2 RTT plus the TCP handshake (3).
- **delivery**: kofi sends on his open socket, until the room's broadcast of it is on his page (the
  acknowledgement: a send is acknowledged by its broadcast), timed in the page from just before the
  socket's `send` until the chat's handler has shown it; target at most 1.1.
Writes var/bench-distance.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.chat import free_port
from bench.fixtures import ensure_database

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "circles-demo"  # noqa: S105 (the demo's published password)
TARGET_OPEN_RTT = 6.0
TARGET_DROP_RTT = 3.0  # 2 RTT plus the TCP handshake's
TARGET_DELIVERY_RTT = 1.1


def log(text: str) -> None:
    print(f"[bench.distance] {text}", file=sys.stderr, flush=True)


class DelayProxy:
    """A TCP proxy on loopback that holds every chunk `one_way` seconds, and a new connection's first
    bytes until its handshake's round trip has passed; `drop()` cuts every connection at once."""

    def __init__(self, upstream_port: int, one_way: float) -> None:
        self.upstream_port = upstream_port
        self.one_way = one_way
        self.loop = asyncio.new_event_loop()
        self.transports: set[asyncio.BaseTransport] = set()
        self.port = 0
        started = threading.Event()
        threading.Thread(target=self._run, args=(started,), daemon=True).start()
        started.wait(10)

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        started.set()
        self.loop.run_forever()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        opened = self.loop.time()
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        self.transports.update({client_writer.transport, up_writer.transport})
        not_before = opened + 2 * self.one_way  # the handshake's round trip
        await asyncio.gather(
            self._pipe(client_reader, up_writer, not_before),
            self._pipe(up_reader, client_writer, not_before),
            return_exceptions=True,
        )
        self.transports.difference_update({client_writer.transport, up_writer.transport})

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, not_before: float
    ) -> None:
        held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await held.get()
                wait = due - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    sink.close()
                    return
                sink.write(data)
                await sink.drain()

        delivering = asyncio.create_task(deliver())
        try:
            while True:
                data = await source.read(65536)
                held.put_nowait((max(self.loop.time(), not_before) + self.one_way, data))
                if not data:
                    break
            await delivering
        finally:
            delivering.cancel()

    def drop(self) -> None:
        """Cut every connection through the proxy, as a lost network does (no closing handshake)."""

        def abort() -> None:
            for transport in list(self.transports):
                transport.abort()  # type: ignore[attr-defined]

        self.loop.call_soon_threadsafe(abort)


def prepare(database_url: str, env: dict[str, str]) -> None:
    """The demo in its own database: migrated and seeded once, kept between runs."""
    ensure_database(database_url)
    log("migrating and seeding the demo (bench_distance)")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    seed = "import django; django.setup(); from coaching.demo import seed_demo; seed_demo(activity=False)"
    subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=env, check=True)


def start_server(kind: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Ours as the Procfile runs it, on daphne or uvicorn; returns once /healthz answers."""
    if kind == "uvicorn":
        argv = ["--uvicorn", "--host", "127.0.0.1", "--port", str(port)]
    else:
        argv = ["-b", "127.0.0.1", "-p", str(port)]
    log_file = (ROOT / "var" / "bench" / f"distance-{kind}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "coaching.server", *argv, "coaching.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {log_file.name}") from None
            time.sleep(0.1)


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/")


CAUGHT_UP = "() => window.circlesChat && window.circlesChat.caughtUpAt !== null"
HOLDS = "(seq) => window.circlesChat && window.circlesChat.contiguousSeq >= seq ? performance.now() : false"
SEND = """(body) => window.circlesChat.socket.send(JSON.stringify(
  {type: "message.send", client_id: crypto.randomUUID(), body}))"""
# Times a send in the page itself: from just before `send` until the chat's own handler of the socket's
# message event has put the broadcast on the page (a listener added after the chat's runs after it). Polling
# from Playwright would add up to a frame (16.7 ms, 0.11 RTT) and a DevTools round trip to every figure.
SEND_TIMED = """([body, seq]) => {
  const chat = window.circlesChat, ws = chat.socket;
  window.benchHeldAt = null;
  ws.addEventListener("message", function held() {
    if (chat.contiguousSeq < seq) return;
    window.benchHeldAt = performance.now();
    ws.removeEventListener("message", held);
  });
  const started = performance.now();
  ws.send(JSON.stringify({type: "message.send", client_id: crypto.randomUUID(), body}));
  return started;
}"""


def measure(proxy: DelayProxy, base_near: str, circle_id: int, repeats: int) -> dict[str, Any]:
    """Open and after-drop times in ms, `repeats` each, with Chromium (kofi behind the proxy)."""
    from playwright.sync_api import sync_playwright

    base_far = f"http://127.0.0.1:{proxy.port}"
    opens: list[float] = []
    drops: list[float] = []
    deliveries: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        kofi = browser.new_context().new_page()
        grace = browser.new_context().new_page()
        sign_in(kofi, base_far, "kofi")
        sign_in(grace, base_near, "grace")
        grace.goto(f"{base_near}/circles/{circle_id}/")
        grace.wait_for_function(CAUGHT_UP)
        for n in range(repeats):
            kofi.goto(f"{base_far}/")  # from his home page, as a member would come
            kofi.goto(f"{base_far}/circles/{circle_id}/")
            kofi.wait_for_function(CAUGHT_UP, timeout=60_000)
            opens.append(float(kofi.evaluate("() => window.circlesChat.caughtUpAt")))
            # Caught up and idle: cut the network, and have grace write at once.
            target = int(kofi.evaluate("() => window.circlesChat.contiguousSeq")) + 1
            started = float(kofi.evaluate("() => performance.now()"))
            proxy.drop()
            grace.evaluate(SEND, f"while you were away {n}")
            held = kofi.wait_for_function(HOLDS, arg=target, timeout=60_000, polling="raf")
            drops.append(float(held.json_value()) - started)
            kofi.wait_for_function(CAUGHT_UP, timeout=60_000)
            target = int(kofi.evaluate("() => window.circlesChat.contiguousSeq")) + 1
            started = float(kofi.evaluate(SEND_TIMED, [f"from far away {n}", target]))
            held = kofi.wait_for_function("() => window.benchHeldAt", timeout=60_000)
            deliveries.append(float(held.json_value()) - started)
            log(
                f"repeat {n + 1}: open {opens[-1]:.0f} ms, after a drop {drops[-1]:.0f} ms, "
                f"delivery {deliveries[-1]:.0f} ms"
            )
        browser.close()
    return {"open_ms": opens, "drop_ms": drops, "delivery_ms": deliveries}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", type=float, default=150.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--server", choices=("daphne", "uvicorn"), default="daphne")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench-distance.json")
    args = parser.parse_args(argv)
    database_url = urlunsplit(urlsplit(args.pg_url)._replace(path="/bench_distance"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",  # plain HTTP, static files from the source tree
        "DATABASE_URL": database_url,
        "CHANNEL_LAYER_PREFIX": "bench-distance",
        "DEBUG": "false",
    }
    env.pop("TEST_SERVER_DATABASE_NAME", None)
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    prepare(database_url, env)
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT c.id FROM circles_circle c JOIN circles_membership m ON m.circle_id = c.id "
            "JOIN accounts_user u ON u.id = m.user_id WHERE u.username = 'kofi' LIMIT 1"
        ).fetchone()
    assert row is not None, "kofi has no circle in the demo"
    port = free_port()
    server = start_server(args.server, port, env)
    try:
        proxy = DelayProxy(port, args.rtt_ms / 2000)
        result = measure(proxy, f"http://127.0.0.1:{port}", int(row[0]), args.repeats)
    finally:
        server.terminate()
        server.wait(10)
    rtt = args.rtt_ms
    open_rtt = statistics.median(result["open_ms"]) / rtt
    drop_rtt = statistics.median(result["drop_ms"]) / rtt
    delivery_rtt = statistics.median(result["delivery_ms"]) / rtt
    report = {
        "command": "python -m bench.distance " + " ".join(sys.argv[1:] if argv is None else argv),
        "server": args.server,
        "rtt_ms": rtt,
        **result,
        "open_rtt": round(open_rtt, 2),
        "drop_rtt": round(drop_rtt, 2),
        "delivery_rtt": round(delivery_rtt, 2),
    }
    args.output.write_text(json.dumps(report, indent=1))
    print(f"| measure ({args.server}, RTT {rtt:.0f} ms, median of {args.repeats}) | RTTs | target | met |")
    print("|---|---|---|---|")
    for what, value, target in (
        ("open a circle until the chat is caught up", open_rtt, TARGET_OPEN_RTT),
        ("after a drop, until a message sent meanwhile is shown", drop_rtt, TARGET_DROP_RTT),
        ("delivery: a send until its broadcast is on the sender's page", delivery_rtt, TARGET_DELIVERY_RTT),
    ):
        print(f"| {what} | {value:.2f} | <= {target:g} | {'yes' if value <= target else 'no'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
