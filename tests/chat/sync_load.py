"""The catching-up tabs of test_sync_fairness, in a process of their own, so their reading spares the probe.

`python -m tests.chat.sync_load URL PATH COOKIE...` opens one socket per cookie and prints `ready`; on `go`
(stdin) every socket sends `sync` from 0 at once; when all have their `sync.done` it prints `synced <s>`;
then it reads the room's final last seq (stdin), waits until every socket has seen it, and prints one JSON
line per socket: the seqs of its `message.new` frames in arrival order and where `sync.done` came. No Django.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


class Tab:
    """One socket that syncs from 0 and records what it hears."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.seqs: list[int] = []
        self.done_at = -1  # how many message.new frames came before sync.done
        self.done_seq = -1
        self.synced = asyncio.Event()
        self.seen = 0

    async def read(self, final: asyncio.Future[int]) -> None:
        while not (final.done() and self.seen >= final.result()):
            try:
                text = await asyncio.wait_for(self.socket.recv(), 1)
            except TimeoutError:
                continue
            assert isinstance(text, str)
            if text.startswith('{"type":"message.new"'):
                seq = json.loads(text)["message"]["seq"]
                self.seqs.append(seq)
                self.seen = max(self.seen, seq)
            elif text.startswith('{"type":"sync.done"'):
                self.done_at = len(self.seqs)
                self.done_seq = json.loads(text)["last_seq"]
                self.synced.set()

    def report(self) -> dict[str, Any]:
        return {"seqs": self.seqs, "done_at": self.done_at, "done_seq": self.done_seq}


async def main(url: str, path: str, cookies: list[str]) -> None:
    headers = [{"Cookie": cookie, "Origin": url} for cookie in cookies]
    ws_url = url.replace("http://", "ws://") + path
    sockets = [
        await connect(ws_url, additional_headers=h, compression=None, max_queue=None, max_size=None)
        for h in headers
    ]
    for socket in sockets:
        assert json.loads(await socket.recv())["type"] == "hello"
    tabs = [Tab(socket) for socket in sockets]
    loop = asyncio.get_running_loop()
    final: asyncio.Future[int] = loop.create_future()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    print("ready", flush=True)
    assert (await stdin.readline()).strip() == b"go"
    started = time.perf_counter()
    readers = [asyncio.create_task(tab.read(final)) for tab in tabs]
    await asyncio.gather(*(tab.socket.send('{"type":"sync","after_seq":0}') for tab in tabs))
    await asyncio.gather(*(tab.synced.wait() for tab in tabs))
    print(f"synced {time.perf_counter() - started:.3f}", flush=True)
    final.set_result(int(await stdin.readline()))
    await asyncio.wait_for(asyncio.gather(*readers), 30)
    for tab in tabs:
        print(json.dumps(tab.report()), flush=True)
        await tab.socket.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
