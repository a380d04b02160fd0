"""Live media through the SFU: `python -m bench.sfu [--viewers 15] [--seconds 20] [--size WxH] [--fps 30]`.

One live session on this machine: the coach and 5 members on stage each publish a VP8 picture through
Janus, and `--viewers` members in the audience each subscribe to all 6 stage members, all as aiortc
peers (tests/live/peers.py) speaking our session socket protocol to one daphne.

Setup: its own PostgreSQL database (bench_sfu on BENCH_PG_URL's server, migrated and seeded with a circle,
its coach and admitted members, a new session and a signed-in Django session per person), a private
redis-server, a Janus from deploy/janus (a copy with a free port, random API secret) and one daphne with
JANUS_URL/JANUS_API_SECRET. The peers run in `--viewer-procs` + 1 processes (the stage in one, the
audience spread over the others), so the load generator is not a single Python process's bottleneck.
Everything shares this machine's cores: Janus, daphne, Redis, PostgreSQL and the peers.

Measured after every viewer has frames from every stage member and a `--warmup`: over `--seconds`, the CPU
(user+system seconds per second from /proc/<pid>/stat, 100% = one core) of Janus, daphne, Redis and each
peer process and of the whole machine (/proc/stat); each of the viewers x 6 streams' decoded frames per
second and RTP packets per second, and each publisher's frames handed to its encoder per second; and how
long from the viewers' first connection until every viewer had a frame from every stage member.
Prints one table and writes var/bench-sfu.json (var/bench-sfu-quick.json for --quick, a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import os
import queue
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.chat import LOGS, ROOT, Processes, db_url, free_port, machine, private_redis, wait_ready
from bench.fixtures import ensure_database
from bench.loadgen import proc_cpu

STAGE_SIZE = 6  # the coach and 5 members: the default stage limit (LIVE_STAGE_LIMIT)
PROGRAMME = "SFU benchmark"
CIRCLE = "SFU benchmark circle"
COACH = "sfubench.coach"
MEMBER = "sfubench{:02d}"
FIRST_FRAME_TIMEOUT = 120.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ASGI_APP = "coaching.asgi:application"


def log(text: str) -> None:
    """Progress on stderr."""
    print(f"[bench.sfu] {text}", file=sys.stderr, flush=True)


# -- seeding (this process, with Django) ---------------------------------------------------------------


def seed(*, database_url: str, members: int) -> dict[str, Any]:
    """Migrate and seed the database: a circle with its coach and `members` admitted members (made once,
    topped up on later runs), a new session starting now (earlier ones ended), and a fresh signed-in
    Django session per person. Returns the session id and, in stage order then audience, [user id, key]."""
    ensure_database(database_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "coaching.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ.update(DEBUG="false", HTTPS="false", LOG_LEVEL="WARNING")
    os.environ.pop("REDIS_URL", None)  # seeding needs no channel layer
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from circles import services
    from circles.models import AssignmentAudit, Circle, Enrolment, Membership, Programme
    from coaching.accounts.models import User
    from coaching.live.models import LiveSession

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        programme, _created = Programme.objects.get_or_create(
            name=PROGRAMME, defaults={"description": "One circle for bench.sfu", "languages": ["en"]}
        )
        names = [COACH, *(MEMBER.format(i) for i in range(1, members + 1))]
        people = []
        for name in names:
            user, _created = User.objects.get_or_create(
                username=name,
                defaults={"display_name": name, "email": f"{name}@bench.invalid", "timezone": "UTC"},
            )
            people.append(user)
        coach, seated = people[0], people[1:]
        services.enrol(programme=programme, user=coach, role=Enrolment.Role.COACH)
        circle = Circle.objects.filter(programme=programme, name=CIRCLE).first()
        if circle is None:
            circle = services.create_circle(
                actor=None,
                programme=programme,
                name=CIRCLE,
                language="en",
                capacity=50,
                coach=coach,
                status=Circle.Status.ACTIVE,
                source=AssignmentAudit.Source.COMMAND,
            )
        admitted = set(Membership.objects.admitted().filter(circle=circle).values_list("user_id", flat=True))
        for user in seated:
            if user.pk in admitted:
                continue
            services.enrol(programme=programme, user=user, role=Enrolment.Role.MEMBER)
            if not Membership.objects.current().filter(circle=circle, user=user).exists():
                services.assign_member(
                    actor=None, circle=circle, member=user, source=AssignmentAudit.Source.COMMAND
                )
            services.accept_charter(user=user, circle=circle)
        LiveSession.objects.filter(circle=circle).exclude(
            status__in=[LiveSession.Status.ENDED, LiveSession.Status.CANCELLED]
        ).update(status=LiveSession.Status.ENDED, ended_at=timezone.now())
        session = LiveSession.objects.create(
            circle=circle,
            title="SFU benchmark",
            starts_at=timezone.now() + dt.timedelta(minutes=1),
            timezone="UTC",
            created_by=coach,
        )
    SessionStore.get_model_class().objects.all().delete()  # a dedicated database: only this run's sessions
    keys = []
    for user in people:
        store = SessionStore()
        store.update(
            {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
        )
        store.create()
        keys.append([user.pk, store.session_key])
    from django.conf import settings

    return {"session": session.pk, "cookie_name": settings.SESSION_COOKIE_NAME, "people": keys}


# -- Janus and daphne ---------------------------------------------------------------------------------


def start_janus(procs: Processes, folder: Path) -> tuple[Any, str, str]:
    """Janus from a copy of deploy/janus on a free port with a random secret: (process, ws URL, secret)."""
    shutil.copytree(ROOT / "deploy" / "janus", folder, dirs_exist_ok=True)
    port = free_port()
    transport = folder / "janus.transport.websockets.jcfg"
    transport.write_text(transport.read_text().replace("ws_port = 8188", f"ws_port = {port}"))
    secret = secrets.token_urlsafe(16)
    env = {**os.environ, "JANUS_API_SECRET": secret, "JANUS_ARGS": "-d 3"}
    process = procs.start([str(folder / "run")], env=env, log_name=f"janus-{port}", core=None)
    wait_ready(process, port, http=False)
    return process, f"ws://127.0.0.1:{port}", secret


def daphne_env(*, database_url: str, redis_url: str, janus_url: str, janus_secret: str) -> dict[str, str]:
    """Production settings on loopback (DEBUG off, plain HTTP) with this run's database, Redis and Janus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TEST_SERVER_", "CHAT_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="coaching.settings",
        SECRET_KEY=os.environ["SECRET_KEY"],
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_LAYER_PREFIX="benchsfu",
        JANUS_URL=janus_url,
        JANUS_API_SECRET=janus_secret,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


# -- the peers (worker processes, no Django) ----------------------------------------------------------


def _in_window(times: list[float], start: float, end: float) -> int:
    return sum(1 for t in times if start <= t < end)


async def _rtp_count(pc: Any, kind: str, field: str) -> int:
    stats = await pc.getStats()
    return sum(getattr(s, field, 0) for s in stats.values() if s.type == kind)


async def _stage(spec: dict[str, Any], out: Any, control: Any) -> None:
    from tests.live.peers import Person, go_live

    people = [
        await Person(spec["server"], spec["path"], str(uid), f"{spec['cookie_name']}={key}").open()
        for uid, key in spec["people"]
    ]
    for person in people:
        await person.next("rtc.config")
        if not (await person.next("media.status", timeout=20))["available"]:
            raise RuntimeError("daphne reports the media server unavailable")
    ids = {str(uid): uid for uid, _key in spec["people"]}
    await go_live(people[0], people[1:], ids, [str(uid) for uid, _key in spec["people"]])
    width, height = spec["size"]
    pcs = [
        await person.publish(40 + 30 * index, width=width, height=height, fps=spec["fps"])
        for index, person in enumerate(people)
    ]
    published: set[int] = set()
    while len(published) < len(people):  # the room announces each publication once its media is up
        published.add((await people[0].next("sfu.published", timeout=30))["user"])
    out.put(("ready", spec["name"], None))
    marks = []
    while await asyncio.to_thread(control.get) == "mark":
        marked = time.monotonic()  # when told, before reading the stats: the same instant for every stream
        marks.append((marked, [await _rtp_count(pc, "outbound-rtp", "packetsSent") for pc in pcs]))
        out.put(("marked", spec["name"], None))
    (start, packets0), (end, packets1) = marks
    seconds = end - start
    sent = [
        {
            "user": person.username,
            "fps": _in_window(person.tiles[0].sent, start, end) / seconds,
            "packets_per_s": (p1 - p0) / seconds,
        }
        for person, p0, p1 in zip(people, packets0, packets1, strict=True)
    ]
    out.put(("result", spec["name"], {"sent": sent}))
    await asyncio.to_thread(control.get)  # "close": every viewer has reported
    await people[0].send({"type": "session.end"})
    await people[0].next("session.state", lambda s: s["status"] == "ended")
    for person in people:
        await person.close()


async def _audience(spec: dict[str, Any], out: Any, control: Any) -> None:
    from tests.live.peers import Person, Reception

    stage = spec["stage"]
    assert await asyncio.to_thread(control.get) == "go"
    went = time.monotonic()

    async def watch(uid: int, key: str) -> tuple[Person, list[Reception], float]:
        person = await Person(spec["server"], spec["path"], str(uid), f"{spec['cookie_name']}={key}").open()
        await person.next("rtc.config", timeout=30)
        await person.next("media.status", lambda f: f["available"], timeout=30)
        for member in stage:
            await person.send({"type": "sfu.subscribe", "user": member})
        receptions = [await person.accept(member, timeout=FIRST_FRAME_TIMEOUT) for member in stage]
        await asyncio.gather(*(r.frames(1, timeout=FIRST_FRAME_TIMEOUT) for r in receptions))
        return person, receptions, max(r.arrivals[0] for r in receptions)

    watched = await asyncio.gather(*(watch(uid, key) for uid, key in spec["people"]))
    out.put(("flowing", spec["name"], {"went": went, "all_frames": [w[2] - went for w in watched]}))
    streams = [r for _person, receptions, _t in watched for r in receptions]
    marks = []
    while await asyncio.to_thread(control.get) == "mark":
        marked = time.monotonic()  # when told, before reading the stats: the same instant for every stream
        packets = [await _rtp_count(r.pc, "inbound-rtp", "packetsReceived") for r in streams]
        marks.append((marked, packets))
        ended = [r.ended_at is not None for r in streams]  # by the end of the window, not at teardown
        out.put(("marked", spec["name"], None))
    (start, packets0), (end, packets1) = marks
    seconds = end - start
    received = [
        {
            "fps": _in_window(r.arrivals, start, end) / seconds,
            "packets_per_s": (p1 - p0) / seconds,
            "ended": gone,
        }
        for r, p0, p1, gone in zip(streams, packets0, packets1, ended, strict=True)
    ]
    out.put(("result", spec["name"], {"received": received}))
    await asyncio.to_thread(control.get)  # "close": every process has reported
    for person, _receptions, _t in watched:
        await person.close()


def worker(role: str, spec: dict[str, Any], out: Any, control: Any) -> None:
    """A peer process: the stage or part of the audience (spawned: no Django, its own event loop)."""
    try:
        asyncio.run((_stage if role == "stage" else _audience)(spec, out, control))
    except BaseException as error:
        out.put(("failed", spec["name"], repr(error)))
        raise


# -- the run ------------------------------------------------------------------------------------------


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / CLOCK_TICKS, sum(fields[:8]) / CLOCK_TICKS


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


class Peers:
    """The peer processes and their message queues."""

    def __init__(self) -> None:
        self.context = mp.get_context("spawn")  # aiortc starts threads: never fork a process that has them
        self.out = self.context.Queue()
        self.controls: dict[str, Any] = {}
        self.processes: dict[str, Any] = {}

    def start(self, role: str, spec: dict[str, Any]) -> None:
        control = self.context.Queue()
        process = self.context.Process(target=worker, args=(role, spec, self.out, control), daemon=True)
        process.start()
        self.controls[spec["name"]], self.processes[spec["name"]] = control, process

    def tell(self, names: list[str], message: str) -> None:
        for name in names:
            self.controls[name].put(message)

    def collect(self, kind: str, names: list[str], timeout: float) -> dict[str, Any]:
        """Each named worker's next message of `kind`; a failure or a silent worker raises."""
        got: dict[str, Any] = {}
        deadline = time.monotonic() + timeout
        while len(got) < len(names):
            try:
                what, name, data = self.out.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                missing = sorted(set(names) - set(got))
                raise RuntimeError(f"no {kind!r} from {missing} within {timeout:.0f} s") from None
            if what == "failed":
                raise RuntimeError(f"peer process {name} failed: {data}")
            if what != kind:
                raise RuntimeError(f"expected {kind!r} from the peers, {name} said {what!r}")
            got[name] = data
        return got

    def stop(self) -> None:
        for process in self.processes.values():
            process.join(timeout=20)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set everything up, run the session, measure, tear down; the report."""
    width, height = (int(x) for x in args.size.split("x"))
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    database_url = db_url(args.pg_url, "bench_sfu")
    log(f"seeding {database_url.rsplit('/', 1)[1]}: a coach and {STAGE_SIZE - 1 + args.viewers} members")
    fixture = seed(database_url=database_url, members=STAGE_SIZE - 1 + args.viewers)
    people = fixture["people"]
    stage_people, audience = people[:STAGE_SIZE], people[STAGE_SIZE:]
    procs, peers = Processes(), Peers()
    with ExitStack() as stack:
        stack.callback(procs.stop_all)
        redis_url, redis_pid = stack.enter_context(private_redis(procs))
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-sfu-janus-")))
        janus, janus_url, janus_secret = start_janus(procs, folder)
        port = free_port()
        daphne = procs.start(
            [sys.executable, "-m", "daphne", "--proxy-headers", "-b", "127.0.0.1", "-p", str(port), ASGI_APP],
            env=daphne_env(
                database_url=database_url, redis_url=redis_url, janus_url=janus_url, janus_secret=janus_secret
            ),
            log_name=f"sfu-daphne-{port}",
            core=None,
        )
        wait_ready(daphne, port, http=True)
        log(f"Janus pid {janus.pid} at {janus_url}, daphne pid {daphne.pid} on port {port}")

        common = {
            "server": f"http://127.0.0.1:{port}",
            "path": f"/ws/sessions/{fixture['session']}/",
            "cookie_name": fixture["cookie_name"],
        }
        stack.callback(peers.stop)
        setup0 = {"janus": proc_cpu(janus.pid), "daphne": proc_cpu(daphne.pid)}
        peers.start(
            "stage",
            {**common, "name": "stage", "people": stage_people, "size": (width, height), "fps": args.fps},
        )
        groups = [audience[i :: args.viewer_procs] for i in range(args.viewer_procs)]
        viewer_names = [f"audience{i + 1}" for i in range(len(groups))]
        for name, group in zip(viewer_names, groups, strict=True):
            spec = {**common, "name": name, "people": group, "stage": [uid for uid, _key in stage_people]}
            peers.start("audience", spec)
        names = ["stage", *viewer_names]
        peers.collect("ready", ["stage"], timeout=120)
        log(f"{STAGE_SIZE} on stage publishing {args.size} at {args.fps:g} fps; {args.viewers} viewers join")
        peers.tell(viewer_names, "go")
        flowing = peers.collect("flowing", viewer_names, timeout=FIRST_FRAME_TIMEOUT + 60)
        went = min(f["went"] for f in flowing.values())
        all_frames = [f["went"] - went + t for f in flowing.values() for t in f["all_frames"]]
        log(f"every viewer has frames from every stage member after {max(all_frames):.1f} s; warm-up")
        setup = {
            k: round(proc_cpu(p) - setup0[k], 2) for k, p in (("janus", janus.pid), ("daphne", daphne.pid))
        }
        time.sleep(args.warmup)  # a measurement window, not a wait for a condition

        pids = {"janus": janus.pid, "daphne": daphne.pid, "redis": redis_pid}
        pids.update({name: peers.processes[name].pid for name in names})
        cpu0, machine0, t0 = {k: proc_cpu(p) for k, p in pids.items()}, machine_cpu(), time.monotonic()
        peers.tell(names, "mark")
        peers.collect("marked", names, timeout=30)
        time.sleep(args.seconds)
        cpu1, machine1, t1 = {k: proc_cpu(p) for k, p in pids.items()}, machine_cpu(), time.monotonic()
        peers.tell(names, "mark")
        peers.collect("marked", names, timeout=30)
        peers.tell(names, "done")
        results = peers.collect("result", names, timeout=60)
        peers.tell(names, "close")
        peers.stop()

    seconds = t1 - t0
    cpu = {k: round(100 * (cpu1[k] - cpu0[k]) / seconds, 1) for k in pids}
    cpu["peers (all)"] = round(sum(cpu[n] for n in names), 1)
    cpu["machine"] = round(100 * (machine1[0] - machine0[0]) / seconds, 1)
    capacity = 100 * (machine1[1] - machine0[1]) / seconds
    received = [s for name in viewer_names for s in results[name]["received"]]
    fps = [s["fps"] for s in received]
    rtp = [s["packets_per_s"] for s in received]
    sent = results["stage"]["sent"]
    return {
        "command": "python -m bench.sfu " + " ".join(sys.argv[1:]),
        "machine": {**machine(), "machine_capacity_percent": round(capacity)},
        "shared_cores": "Janus, daphne, Redis, PostgreSQL and every peer process share these cores",
        "stage": STAGE_SIZE,
        "viewers": args.viewers,
        "streams": len(received),
        "peer_processes": len(names),
        "video": {"size": args.size, "fps": args.fps, "codec": "VP8"},
        "window_seconds": round(seconds, 2),
        "warmup_seconds": args.warmup,
        "cpu_percent_of_one_core": cpu,
        "cpu_seconds_joining": setup,  # from the first socket until every viewer had every stream
        "sent_fps": [round(s["fps"], 2) for s in sent],
        "sent_packets_per_s": [round(s["packets_per_s"], 1) for s in sent],
        "received_fps": {
            "median": round(statistics.median(fps), 2),
            "p10": round(percentile(fps, 0.10), 2),
            "min": round(min(fps), 2),
            "max": round(max(fps), 2),
        },
        "received_packets_per_s": {
            "median": round(statistics.median(rtp), 2),
            "p10": round(percentile(rtp, 0.10), 2),
            "min": round(min(rtp), 2),
        },
        "streams_ended": sum(1 for s in received if s["ended"]),
        "seconds_until_every_viewer_had_every_stream": round(max(all_frames), 2),
        "seconds_until_a_viewer_had_all_six": {
            "median": round(statistics.median(all_frames), 2),
            "max": round(max(all_frames), 2),
        },
    }


def table(report: dict[str, Any]) -> str:
    """The report as one Markdown table."""
    cpu, setup = report["cpu_percent_of_one_core"], report["cpu_seconds_joining"]
    per_process = ", ".join(f"{k} {v:.0f}%" for k, v in cpu.items() if k.startswith(("stage", "audience")))
    fps, rtp = report["received_fps"], report["received_packets_per_s"]
    sent = report["sent_fps"]
    rows = [
        ("setup", f"{report['stage']} on stage x {report['viewers']} viewers = {report['streams']} streams"),
        ("video sent", f"{report['video']['size']} VP8, {min(sent):.1f}-{max(sent):.1f} fps per publisher"),
        ("received fps (median / p10 / min)", f"{fps['median']:.1f} / {fps['p10']:.1f} / {fps['min']:.1f}"),
        (
            "received RTP pkt/s (median / p10 / min)",
            f"{rtp['median']:.1f} / {rtp['p10']:.1f} / {rtp['min']:.1f}",
        ),
        ("streams that ended during the run", f"{report['streams_ended']} of {report['streams']}"),
        (
            "every viewer had every stream after",
            f"{report['seconds_until_every_viewer_had_every_stream']:.1f} s",
        ),
        ("CPU Janus", f"{cpu['janus']:.0f}% of a core"),
        ("CPU daphne (ours)", f"{cpu['daphne']:.0f}% of a core"),
        ("CPU while everyone joined", f"Janus {setup['janus']:.2f} s, daphne {setup['daphne']:.2f} s"),
        ("CPU Redis", f"{cpu['redis']:.0f}% of a core"),
        (
            "CPU peers (load generator)",
            f"{cpu['peers (all)']:.0f}% ({per_process})",
        ),
        ("CPU whole machine", f"{cpu['machine']:.0f}% of {report['machine']['machine_capacity_percent']}%"),
        ("window", f"{report['window_seconds']:.0f} s after {report['warmup_seconds']:g} s warm-up"),
    ]
    lines = ["| measure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sfu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=20.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds between joining and the window")
    parser.add_argument("--size", default="160x120", help="WIDTHxHEIGHT of each published picture")
    parser.add_argument("--fps", type=float, default=30.0, help="frames a second each publisher sends")
    parser.add_argument("--viewer-procs", type=int, default=2, help="processes the audience is spread over")
    parser.add_argument("--quick", action="store_true", help="3 viewers, 3 s: a smoke run, not for figures")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.viewers, args.seconds, args.warmup, args.viewer_procs = 3, 3.0, 1.0, 1
    if not 1 <= args.viewers <= 50 - (STAGE_SIZE - 1):
        parser.error("--viewers: 1 to 45 (a circle seats 50)")
    args.viewer_procs = max(1, min(args.viewer_procs, args.viewers))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run once, print the table, write var/bench-sfu.json."""
    args = parse_args(argv)
    if shutil.which("janus") is None:
        log("Janus is missing: apt-get install janus")
        return 2
    report = run(args)
    out = ROOT / "var" / ("bench-sfu-quick.json" if args.quick else "bench-sfu.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    m = report["machine"]
    print(table(report))
    print(
        f"\n{m['cpus']} CPUs ({m['model']}), load average {m['load_average']}; {report['shared_cores']}. "
        f"Peers in {report['peer_processes']} processes. Written to {out.relative_to(ROOT)}; logs in "
        f"{LOGS.relative_to(ROOT)}/."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
