"""Shared fixtures: real services when reachable (required in CI), a real daphne, and Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from tests.notifications.smtp import Inbox, serving

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent


def missing_service(what: str) -> None:
    """Skip with one line on a laptop; in CI a missing service is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"CI=true but {what}", pytrace=False)
    pytest.skip(what)


def redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing_service("PostgreSQL is not configured: install postgresql and set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis") and not redis_reachable():
        missing_service(
            "Redis is not reachable: install redis-server and set REDIS_URL=redis://127.0.0.1:6379/0"
        )
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        missing_service("Chromium is missing: apt-get install chromium (tests use /usr/bin/chromium)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests last: Playwright's sync API holds an event loop that async tests must not meet.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def close_sync_thread_connections(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """Close the connection asgiref's sync thread opened, before the test database is dropped."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)


@pytest.fixture(autouse=True)
def fresh_shared_state() -> Iterator[None]:
    """Each test starts with an empty cache and Redis keyspace (this run's prefix only) and a new channel
    layer: each async test runs in its own event loop, and channels-redis binds its locks to the first."""
    from channels.layers import channel_layers
    from django.core.cache import cache

    channel_layers.backends.clear()
    translation.activate(settings.LANGUAGE_CODE)  # a request in an earlier test may have left Spanish active
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match=f"{settings.CHANNEL_LAYER_PREFIX}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    else:
        cache.clear()
    yield
    channel_layers.backends.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Each running test daphne by base URL, for tests that signal the process itself.
DAPHNES: dict[str, subprocess.Popen[bytes]] = {}


@contextlib.contextmanager
def _daphne(
    extra_env: dict[str, str], options: tuple[str, ...] = (), *, uvicorn: bool = False
) -> Iterator[str]:
    port = _free_port()
    address = ["--uvicorn", "--host", "127.0.0.1", "--port"] if uvicorn else ["-b", "127.0.0.1", "-p"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "TEST_SERVER_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYER_PREFIX,
        "DEBUG": "false",
        **extra_env,
    }
    log = (ROOT / "var" / f"{'uvicorn' if uvicorn else 'daphne'}-{port}.log").open("w")
    process = subprocess.Popen(
        # The web process as the Procfile runs it (our frame limit and graceful shutdown).
        [sys.executable, "-m", "coaching.server", *address, str(port), *options, "coaching.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    DAPHNES[url] = process
    try:
        deadline = time.monotonic() + 90  # generous: a busy 2-core machine starts Django slowly
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"daphne did not start; see {log.name}") from None
                time.sleep(0.1)
        yield url
    finally:
        del DAPHNES[url]
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # A daphne left behind would hold the test database and break every later run.
            process.kill()
            process.wait(timeout=10)
        log.close()


class SharedDaphnes:
    """Servers the tests of a session share, one per environment (ours plus the test's extra), the last
    `KEEP` used kept running: starting Django takes seconds, and a server keeps nothing of a test that the
    next one could see (each test's data is deleted, its ids never come back, and its Redis keys are cleared
    by `fresh_shared_state`)."""

    KEEP = 3

    def __init__(self) -> None:
        self.running: dict[tuple[tuple[str, str], ...], tuple[str, contextlib.ExitStack]] = {}

    def get(self, extra_env: dict[str, str]) -> str:
        key = tuple(sorted({**os.environ, **extra_env}.items()))
        found = self.running.pop(key, None)
        if found is not None and DAPHNES[found[0]].poll() is not None:
            found[1].close()
            found = None
        if found is None:
            stack = contextlib.ExitStack()
            found = (stack.enter_context(_daphne(extra_env)), stack)
        self.running[key] = found  # the most recently used last
        while len(self.running) > self.KEEP:
            self.running.pop(next(iter(self.running)))[1].close()
        return found[0]

    def stop(self) -> None:
        while self.running:
            self.running.popitem()[1][1].close()


@pytest.fixture(scope="session")
def shared_daphnes(django_db_setup: None) -> Iterator[SharedDaphnes]:
    """The session's shared servers, stopped before the test database is dropped."""
    daphnes = SharedDaphnes()
    yield daphnes
    daphnes.stop()


def _flush_retrying_deadlocks() -> None:
    """A shared server may still be ending a test's sockets (closing an attendance span) while the test's
    tables are emptied; PostgreSQL then picks the TRUNCATE as a deadlock's victim. The server's write
    finishes, and emptying again goes through."""
    from django.core.management.base import CommandError
    from django.test import TransactionTestCase

    teardown = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]

    def retrying(self: TransactionTestCase) -> None:
        for attempt in range(3):
            try:
                return teardown(self)
            except CommandError:
                if attempt == 2:
                    raise

    TransactionTestCase._fixture_teardown = retrying  # type: ignore[attr-defined]


_flush_retrying_deadlocks()


@pytest.fixture
def daphne_factory(transactional_db: None, shared_daphnes: SharedDaphnes) -> Callable[..., str]:
    """Real daphnes serving the test database, with extra environment (`JANUS_URL=…`): a function returning
    the base URL of the session's server for that environment, started on first use."""
    return lambda **extra_env: shared_daphnes.get(extra_env)


@pytest.fixture
def own_daphne_factory(transactional_db: None) -> Iterator[Callable[..., str]]:
    """Like `daphne_factory`, but servers of this test alone, stopped when it ends: for tests that signal the
    process, or point it at a Redis, Janus or pool size of their own; positional arguments are daphne
    options (`"--ping-interval", "4"`)."""
    with contextlib.ExitStack() as stack:
        yield lambda *options, **extra_env: stack.enter_context(_daphne(extra_env, options))


@pytest.fixture
def uvicorn_process(transactional_db: None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Our web process on uvicorn (`coaching.server --uvicorn`), for this test alone: (base URL, process)."""
    with _daphne({}, uvicorn=True) as url:
        yield url, DAPHNES[url]


@pytest.fixture
def daphne_server(daphne_factory: Callable[..., str]) -> str:
    """A real daphne serving the test database (committed data only); its base URL."""
    return daphne_factory()


@pytest.fixture
def daphne_process(own_daphne_factory: Callable[..., str]) -> tuple[str, subprocess.Popen[bytes]]:
    """A daphne of this test alone and its process, for tests that signal it: (base URL, process)."""
    url = own_daphne_factory()
    return url, DAPHNES[url]


class JanusProcess:
    """A real Janus started from deploy/janus (copied, with its own port), as `deploy/janus/run` starts it."""

    def __init__(self, folder: Path) -> None:
        shutil.copytree(ROOT / "deploy" / "janus", folder, dirs_exist_ok=True)
        self.port = _free_port()
        transport = folder / "janus.transport.websockets.jcfg"
        transport.write_text(transport.read_text().replace("ws_port = 8188", f"ws_port = {self.port}"))
        self.folder = folder
        self.secret = secrets.token_urlsafe(16)
        self.url = f"ws://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> JanusProcess:
        """Start it and wait until its WebSocket answers `info`."""
        log = (ROOT / "var" / f"janus-{self.port}.log").open("a")
        env = {**os.environ, "JANUS_API_SECRET": self.secret, "JANUS_ARGS": "-d 3"}
        self.process = subprocess.Popen(
            [str(self.folder / "run")], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        from websockets.sync.client import connect

        deadline = time.monotonic() + 20
        while True:
            try:
                with connect(self.url, subprotocols=["janus-protocol"], open_timeout=1) as ws:  # type: ignore[list-item]
                    ws.send(json.dumps({"janus": "info", "transaction": "up", "apisecret": self.secret}))
                    if json.loads(ws.recv(timeout=2))["janus"] == "server_info":
                        return self
            except (OSError, TimeoutError, ValueError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Janus did not start; see var/janus-{self.port}.log")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _janus_binary() -> None:
    if shutil.which("janus") is None:
        missing_service("Janus is missing: apt-get install janus (tests start their own from deploy/janus)")


@pytest.fixture(scope="session")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusProcess]:
    """One real Janus for the test session (its own port and a random API secret)."""
    _janus_binary()
    process = JanusProcess(tmp_path_factory.mktemp("janus")).start()
    yield process
    process.stop()


@pytest.fixture
def own_janus(tmp_path: Path) -> Iterator[JanusProcess]:
    """A real Janus for one test alone, which it may stop and start again."""
    _janus_binary()
    process = JanusProcess(tmp_path / "janus").start()
    yield process
    process.stop()


# Every page a browser test opens reports Content-Security-Policy violations: at once through a binding,
# and on `window` so the check after the test can read what had not been delivered yet. Tests give
# `wait_for_function` a function ("() => …"): Playwright evals an expression again on every poll, which
# the policy refuses, but a function only once, inside its own (allowed) DevTools call.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const text = `${event.effectiveDirective} refused ${event.blockedURI || "inline"} `
    + `(${event.sourceFile || location.href}:${event.lineNumber}) ${event.sample || ""}`.trim();
  window.__cspViolations.push(text);
  if (window.__cspViolation) window.__cspViolation(text).catch(() => {});
});
"""


class WatchedBrowser:
    """The browser, each of whose contexts collects Content-Security-Policy violations in `violations`."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.violations: list[str] = []
        self.contexts: list[Any] = []

    def new_context(self, **options: Any) -> Any:
        context = self.browser.new_context(**options)
        context.expose_binding("__cspViolation", lambda _source, text: self.violations.append(text))
        context.add_init_script(CSP_WATCH)
        self.contexts.append(context)
        return context

    def collected(self) -> list[str]:
        """Every violation so far (once each), including those still held by open pages; then forget them."""
        seen = list(self.violations)
        for context in self.contexts:
            for page in context.pages:
                with contextlib.suppress(Exception):  # a page closing or navigating has reported already
                    seen += page.evaluate("window.__cspViolations || []")
        self.violations.clear()
        self.contexts.clear()
        return list(dict.fromkeys(seen))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.browser, name)


@pytest.fixture(autouse=True)
def no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test fails on any Content-Security-Policy violation in any of its pages."""
    yield
    if "chromium" in request.fixturenames:
        violations = request.getfixturevalue("chromium").collected()
        assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture(scope="module")
def chromium() -> Iterator[WatchedBrowser]:
    """Debian's Chromium driven by Playwright, headless; its pages report CSP violations (above)."""
    if not CHROMIUM.exists():
        missing_service("Chromium is missing: apt-get install chromium (tests use /usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still sync.
    # Only while this module's browser runs: a later test (in the same xdist worker) must not inherit it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
            ],
        )
        yield WatchedBrowser(browser)
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server (tests/notifications/smtp.py) with Django's SMTP backend pointed at it; its inbox.
    A server the test starts sends there too when given its environment (`daphne_factory(**inbox.env)`)."""
    with serving() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = inbox.host
        settings.EMAIL_PORT = inbox.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        yield inbox


@pytest.fixture
def demo(db: None) -> dict[str, object]:
    """The demo programme, created through the same code as `manage.py seed_demo`."""
    from coaching.demo import describe_demo, seed_demo

    # The plain demo (people and circles): tests that need sessions or progress create their own.
    seed_demo(activity=False)
    return describe_demo()
