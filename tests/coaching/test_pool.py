"""Bounded database connections: each daphne borrows from a pool of DB_POOL_SIZE, and a full pool answers
"busy" (HTTP 503, the `busy` frame or a 4503 close), retryably, with one log line and no traceback."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from coaching.accounts.models import User
from tests.conftest import DAPHNES, ROOT

pytestmark = [pytest.mark.redis]


def cookie_for(username: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"sessionid={client.cookies['sessionid'].value}"


def get(url: str, cookie: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - loopback test server
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def observer() -> psycopg.Connection:
    """A connection of the test's own, outside Django's pool, to watch and lock the test database."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def server_connections(watch: psycopg.Connection, pid: int, *, waiting: bool = False) -> int:
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
    if waiting:
        query += " AND wait_event_type = 'Lock'"
    row = watch.execute(query, [f"circles-{pid}"]).fetchone()
    assert row is not None
    return int(row[0])


def log_of(url: str) -> str:
    return (ROOT / "var" / f"daphne-{url.rsplit(':', 1)[1]}.log").read_text()


def socket_to(url: str, path: str, cookie: str) -> ClientConnection:
    headers = {"Cookie": cookie, "Origin": url}
    return connect(url.replace("http://", "ws://") + path, additional_headers=headers)


def test_connections_stay_within_the_pool_under_load(own_daphne_factory, demo):
    url = own_daphne_factory(DB_POOL_SIZE="3", DB_POOL_TIMEOUT="20")
    pid = DAPHNES[url].pid
    members = ["kofi", "grace", "james", "fatima", "daniel", "amani.coach"]
    cookies = [cookie_for(name) for name in members]
    circle_id = demo["circles"][1]["id"]
    seen: list[int] = []
    done = threading.Event()

    def sample() -> None:
        with observer() as watch:
            while not done.is_set():
                seen.append(server_connections(watch, pid))
                time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        sockets = [socket_to(url, f"/ws/circles/{circle_id}/", cookie) for cookie in cookies]
        for sock in sockets:
            assert json.loads(sock.recv(timeout=10))["type"] == "hello"
        with ThreadPoolExecutor(max_workers=24) as pool:
            pages = list(pool.map(lambda i: get(f"{url}/", cookies[i % len(cookies)]), range(72)))
            ready = list(pool.map(lambda _: get(f"{url}/readyz", ""), range(24)))
        for sock in sockets:
            sock.send(json.dumps({"type": "sync", "after_seq": 0}))
            sock.close()
    finally:
        done.set()
        sampler.join()
    assert [status for status, _ in pages + ready] == [200] * 96
    assert 1 <= max(seen) <= 3, f"connections of the daphne seen: max {max(seen)}"
    assert "Traceback" not in log_of(url)


@contextlib.contextmanager
def held_pool(url: str, cookie: str) -> Iterator[list[tuple[int, str]]]:
    """The daphne's only pooled connection held: a page request blocked on a locked table."""
    pid = DAPHNES[url].pid
    answers: list[tuple[int, str]] = []
    with observer() as locker, observer() as watch:
        locker.autocommit = False
        locker.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        blocked = threading.Thread(target=lambda: answers.append(get(f"{url}/", cookie)))
        blocked.start()
        deadline = time.monotonic() + 10
        while server_connections(watch, pid, waiting=True) == 0:  # the sentinel: it waits on the lock
            assert time.monotonic() < deadline, "the page request never reached the lock"
            time.sleep(0.02)
        try:
            yield answers
        finally:
            locker.rollback()
            blocked.join(timeout=15)


def test_a_full_pool_answers_busy_not_a_traceback(own_daphne_factory, demo):
    url = own_daphne_factory(DB_POOL_SIZE="1", DB_POOL_TIMEOUT="1")
    kofi, grace = cookie_for("kofi"), cookie_for("grace")
    circle_id = demo["circles"][1]["id"]
    path = f"/ws/circles/{circle_id}/"
    sock = socket_to(url, path, grace)
    assert json.loads(sock.recv(timeout=10))["type"] == "hello"

    with held_pool(url, kofi) as held:
        status, page = get(f"{url}/", grace)
        assert status == 503
        assert "The server is busy; try again in a moment." in page
        assert "Traceback" not in page

        sock.send(json.dumps({"type": "sync", "after_seq": 0}))
        frame = json.loads(sock.recv(timeout=10))
        assert frame["type"] == "error"
        assert frame["code"] == "busy"
        assert frame["retry_after"] >= 1
        assert frame["detail"] == "The server is busy; try again in a moment."

        # A socket that cannot check access now is told to come back (4503), not failed with 1011.
        late = socket_to(url, path, kofi)
        with pytest.raises(ConnectionClosed) as closed:
            late.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4503

    # The held request finishes once the lock goes, and the socket's retry is served.
    assert held == [(200, held[0][1])]
    sock.send(json.dumps({"type": "sync", "after_seq": 0}))
    assert json.loads(sock.recv(timeout=10))["type"] != "error"
    sock.close()
    assert get(f"{url}/", grace)[0] == 200

    log = log_of(url)
    assert "Traceback" not in log
    assert "database pool exhausted: GET / answered 503" in log
    assert "database pool exhausted: a frame in" in log
    assert "closed with 4503" in log
