"""Where a server's CPU goes per chat message, by stage, from a py-spy profile of a measured step.

`python -m bench.stages PROFILE.txt --us-per-delivery N` prints the table; `bench.chat --profile` records
the profiles (py-spy `record --threads --format raw`, active samples only) and calls `breakdown`.

Each sample is put in the stage of the deepest frame that names one (the rules below, tried from the
leaf up): a rate-limit check is "rate limit and mutes" even while it waits in redis-py, and a socket
write is "socket write" even though the hub called it. The main thread's samples share its measured CPU
(from /proc, when given) and the other threads' the rest; a stage's share times the measured CPU-µs per
delivery gives its CPU-µs per delivery; times the deliveries per message (the circle's size) its CPU-µs
per message. Samples are statistical: stages under ~2% are noise at 250 Hz over 15 s. Under
uvicorn with uvloop, the loop's own C code (polling, and the socket reads and writes it does natively) has
no Python frames: it counts as "event loop".
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.loadgen import CIRCLE

# (stage, file substring, function pattern or None), tried in order on each frame, from the leaf up.
RULES: list[tuple[str, str, str | None]] = [
    ("socket read", "twisted/internet/", r"doRead|_dataReceived|dataReceived"),
    ("socket read", "autobahn/", r"onMessage|processData|_onMessage|dataReceived|consumeData"),
    ("socket read", "daphne/ws_protocol.py", r"onMessage|onConnect|onOpen"),
    ("socket read", "uvicorn/protocols/websockets/", r"data_received|handle_events|receive"),
    ("socket write", "twisted/internet/", r"write|Write|_postLoseConnection"),
    ("socket write", "autobahn/", r"send|Send|_queueFrame"),
    ("socket write", "daphne/", r"handle_reply|serverSend|send"),
    ("socket write", "uvicorn/protocols/websockets/", r"send|write"),
    ("socket write", "channels/generic/websocket.py", r"send"),
    ("socket write", "coaching/uvicorn_socket.py", None),
    ("frame parse and dispatch", "chat/protocol.py", None),
    ("frame parse and dispatch", "chat/consumers.py", r"receive|dispatch_command|websocket_receive"),
    ("rate limit and mutes", "chat/ratelimit.py", None),
    ("rate limit and mutes", "chat/mutes.py", None),
    ("rate limit and mutes", "chat/sending.py", r"Lookups\._limits_and_mutes|_count_and_read"),
    ("render", "chat/render.py", None),
    ("insert and commit", "chat/writer.py", r"answer_sends|_write_batch|write"),
    ("insert and commit", "chat/sending.py", None),
    ("insert and commit", "chat/services.py", None),
    ("database thread hop", "asgiref/", None),
    ("database thread hop", "channels/db.py", None),
    ("database thread hop", "concurrent/futures/", None),
    ("database thread hop", "chat/writer.py", r"submit|_run"),
    (
        "publish",
        "coaching/lib/realtime.py",
        r"publish|_send_loop|send_all|_send_now|send$|encode|frame_event",
    ),
    ("hub receive", "coaching/lib/realtime.py", r"_receive_loop|_on_event|receive"),
    ("hub receive", "channels_redis/", None),
    ("delivery (hub to socket)", "coaching/lib/realtime.py", r"deliver|send_event_text"),
    ("delivery (hub to socket)", "chat/consumers.py", r"deliver|send_frame|broadcast"),
    ("insert and commit", "chat/writer.py", None),
]
# Only when no frame of the stack names a stage above: the loop's own turns (polling, timers, callbacks).
FALLBACK: list[tuple[str, str, str | None]] = [
    ("event loop", "asyncio/", None),
    ("event loop", "uvloop/", None),
    ("event loop", "selectors.py", None),
    ("event loop", "twisted/internet/", None),
]
# A stack whose leaf is one of these is a thread waiting (py-spy counts some waits as active).
IDLE = re.compile(
    r"^(EpollSelector\.select|_worker|Condition\.wait|Event\.wait|Thread\._wait_for_tstate_lock)$"
)
STAGES = [*dict.fromkeys(stage for stage, _, _ in RULES + FALLBACK), "other"]
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*):\d+\)$")
Rule = tuple[str, str, re.Pattern[str] | None]


def _compiled(rules: list[tuple[str, str, str | None]]) -> list[Rule]:
    return [(stage, path, re.compile(pattern) if pattern else None) for stage, path, pattern in rules]


_SPECIFIC, _FALLBACK = _compiled(RULES), _compiled(FALLBACK)


def _parsed(frames: Sequence[str]) -> list[tuple[str, str]]:
    """(function, file) of each frame, leaf first."""
    return [(m["function"], m["file"]) for frame in reversed(frames) if (m := FRAME.match(frame))]


def stage_of(frames: Sequence[str]) -> str | None:
    """The stage of one stack (root first), by its deepest frame that names one; None for a wait."""
    parsed = _parsed(frames)
    if parsed and IDLE.match(parsed[0][0]):
        return None
    for rules in (_SPECIFIC, _FALLBACK):
        for function, file in parsed:
            for stage, path, pattern in rules:
                if path in file and (pattern is None or pattern.search(function)):
                    return stage
    return "other"


def samples_by_stage(profile: Path) -> tuple[Counter[str], Counter[str]]:
    """Active samples of a py-spy raw profile, by stage: (the main thread's, the other threads')."""
    loop: Counter[str] = Counter()
    others: Counter[str] = Counter()
    for line in profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        thread, *frames = stack.split(";")  # the first element names the thread
        stage = stage_of(frames)
        if stage is not None:
            (loop if thread.endswith("MainThread") else others)[stage] += int(count)
    return loop, others


def breakdown(
    profile: Path, us_per_delivery: float, loop_us_per_delivery: float | None = None
) -> list[dict[str, float | str]]:
    """One row per stage: its share of the CPU, and its CPU-µs per delivery and per message.

    With `loop_us_per_delivery` (the main thread's measured CPU, from /proc), the main thread's samples
    share that CPU and the other threads' samples the rest: py-spy counts some waits for PostgreSQL or
    Redis in the database thread as active, which would otherwise inflate its stages at the loop's expense.
    """
    loop, others = samples_by_stage(profile)
    if loop_us_per_delivery is None:
        budgets = [(loop + others, us_per_delivery)]
    else:
        loop_us = min(loop_us_per_delivery, us_per_delivery)
        budgets = [(loop, loop_us), (others, us_per_delivery - loop_us)]
    us: dict[str, float] = {}
    for counts, budget in budgets:
        total = sum(counts.values())
        for stage, n in counts.items():
            us[stage] = us.get(stage, 0.0) + (budget * n / total if total else 0.0)
    rows: list[dict[str, float | str]] = []
    for stage in STAGES:
        share = us.get(stage, 0.0) / us_per_delivery if us_per_delivery else 0.0
        rows.append(
            {
                "stage": stage,
                "share": round(share, 3),
                "us_per_delivery": round(share * us_per_delivery, 1),
                "us_per_message": round(share * us_per_delivery * CIRCLE, 1),
            }
        )
    return rows


def table(columns: dict[str, list[dict[str, float | str]]]) -> str:
    """A markdown table: stages down, one column of CPU-µs per message (and share) per profile."""
    names = list(columns)
    lines = [
        "| stage | " + " | ".join(f"{name}: CPU-µs per message (share)" for name in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for index, stage in enumerate(STAGES):
        cells = []
        for name in names:
            row = columns[name][index]
            cells.append(f"{row['us_per_message']} ({float(row['share']) * 100:.0f}%)")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    totals = [sum(float(row["us_per_message"]) for row in columns[name]) for name in names]
    lines.append("| **all** | " + " | ".join(f"**{total:.0f}**" for total in totals) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="a py-spy raw profile (record --threads --format raw)")
    parser.add_argument("--us-per-delivery", type=float, required=True, help="the step's measured CPU-µs")
    parser.add_argument("--loop-us-per-delivery", type=float, help="of which the main thread's (measured)")
    args = parser.parse_args(argv)
    print(
        table({args.profile.stem: breakdown(args.profile, args.us_per_delivery, args.loop_us_per_delivery)})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
