"""The socket's way into `chat.sending.send_messages`: sends that wait together go as one batch."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from chat.selectors import message_payload
from chat.sending import Send, Sent, send_messages
from coaching.lib import busy

log = logging.getLogger(__name__)

MAX_BATCH = 256
CHECK_EVERY_SECONDS = 1.0

Reply = dict[str, Any] | None


def answer_sends(sends: list[Send]) -> list[Reply | Exception]:
    """Post a batch; per send the frame for its sender alone, None, or the refusal to answer with."""
    answers: list[Reply | Exception] = []
    for result in send_messages(sends=sends):
        if isinstance(result, Sent):
            # Acknowledgement by broadcast: a new message reaches its sender through the room's `message.new`
            # after commit, as it reaches everyone else, so nothing is answered here. Only a repeat (whose
            # broadcast went out the first time) is answered directly, with the stored message.
            answers.append(
                None
                if result.created
                else {"type": "message.new", "message": message_payload(result.message)}
            )
        else:
            answers.append(result)  # a refusal, answered to the sender alone
    return answers


@dataclass(frozen=True)
class _Waiting:
    send: Send
    answer: asyncio.Future[Reply]


class _Writer:
    """One event loop's queue of sends and the one task that writes them: a batch per database call."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue: asyncio.Queue[_Waiting] = asyncio.Queue()
        self.checked_at = 0.0  # when the database connection was last checked (monotonic seconds)
        # An empty context: the task must not carry the first caller's language (or anything else) along.
        self.task = loop.create_task(self._run(), context=contextvars.Context())

    async def _run(self) -> None:
        batch: list[_Waiting] = []
        try:
            while True:
                batch = [await self.queue.get()]
                # Whatever queued up while the last batch was written goes in this one: batches grow with the
                # load, and a lone send is written at once, with no timer.
                while len(batch) < MAX_BATCH and not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                # A caller cancelled while waiting gets no answer; its client resends what was not
                # acknowledged, as when a cancelled database call never started.
                batch = [waiting for waiting in batch if not waiting.answer.cancelled()]
                if batch:
                    await self._write(batch)
        finally:  # the loop is closing: nobody may wait for an answer that will not come
            for waiting in batch:
                waiting.answer.cancel()
            while not self.queue.empty():
                self.queue.get_nowait().answer.cancel()

    async def _write(self, batch: list[_Waiting]) -> None:
        # database_sync_to_async checks the connection before and after each call (with health checks on, a
        # `SELECT 1` round trip); under load the writer has it checked at most once a second and after errors.
        now = time.monotonic()
        checked = now - self.checked_at >= CHECK_EVERY_SECONDS
        call = database_sync_to_async if checked else sync_to_async(thread_sensitive=True)
        try:
            results = await call(answer_sends)([w.send for w in batch])
            if checked:
                self.checked_at = now
        except Exception as error:  # the batch's callers hear it; the writer goes on with the next batch
            if busy.pool_exhausted(error):  # the senders hear `busy` and resend; not a fault
                log.warning("database pool exhausted: a batch of %d sends answered busy", len(batch))
            else:
                log.exception("a batch of %d sends failed", len(batch))
            results = [error] * len(batch)
            self.checked_at = 0.0
        for waiting, result in zip(batch, results, strict=True):
            if waiting.answer.done():  # cancelled meanwhile
                continue
            if isinstance(result, Exception):
                waiting.answer.set_exception(result)
            else:
                waiting.answer.set_result(result)


# One writer per running loop (tests run many loops); an entry goes when its loop closes and ends the task.
_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writer] = weakref.WeakKeyDictionary()


def _writer() -> _Writer:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None or writer.task.done():
        writer = _writers[loop] = _Writer(loop)

        def forget(_task: asyncio.Task[None]) -> None:
            # The task holds its loop: without this the entry would keep a closed loop alive.
            if _writers.get(loop) is writer:
                del _writers[loop]

        writer.task.add_done_callback(forget)
    return writer


async def submit(send: Send) -> Reply:
    """Post `send` in the next batch, once committed: `answer_sends`'s frame for it, or its refusal raised."""
    answer: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
    _writer().queue.put_nowait(_Waiting(send, answer))
    return await answer
