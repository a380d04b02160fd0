"""Two demo members chat in Harambee with real browsers against a real daphne: live, offline and back, hostile
input, and a phone-sized screen."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e import pages

pytestmark = [pytest.mark.browser]
CONNECTED = "#chat-status[data-state=connected]"
TIMEOUT = 10_000


class Person(pages.Person):
    """One demo person, with the circle's chat open."""

    # The browser itself logs failed reconnects while offline; those are the point of the offline test.
    expected_errors = ("ERR_INTERNET_DISCONNECTED",)

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)

    def say(self, text: str) -> None:
        self.page.fill("#chat-input", text)
        self.page.press("#chat-input", "Enter")

    def texts(self) -> list[str]:
        """Every message on screen, stored or pending, top to bottom."""
        return list(
            self.page.eval_on_selector_all(
                "#chat-log .chat-msg",
                "items => items.map(li => li.querySelector('.chat-body')?.innerText.trim() ?? '')",
            )
        )

    def sees(self, text: str) -> None:
        self.page.locator("#chat-log .chat-msg:not(.chat-pending) .chat-body", has_text=text).first.wait_for(
            timeout=TIMEOUT
        )


@pytest.fixture
def harambee(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Iterator[tuple[Person, Person, str]]:
    """Kofi (A) and Grace (B), each in their own browser context, both in Harambee's chat."""
    circle = demo["circles"][1]
    assert circle["name"] == "Harambee"
    assert {"kofi", "grace"} <= set(circle["members"])
    url = f"{daphne_server}/circles/{circle['id']}/"
    a = Person(chromium, daphne_server, "kofi", demo["password"], viewport={"width": 1100, "height": 800})
    b = Person(chromium, daphne_server, "grace", demo["password"], viewport={"width": 1100, "height": 800})
    a.open(url)
    b.open(url)
    yield a, b, url
    for person in (a, b):
        person.context.close()
    assert a.errors + b.errors == []


def test_two_members_chat_live_and_reply_to_each_other(harambee):
    a, b, _ = harambee
    # Presence: each sees the other online in the people panel.
    b.page.wait_for_selector("[data-person=kofi] .presence-dot.is-online", timeout=TIMEOUT)
    a.page.fill("#chat-input", "Hello")
    b.page.wait_for_selector("#chat-typing:has-text('Kofi Mensah is typing…')", timeout=TIMEOUT)
    a.say("Hello Grace, how was the pitch on Monday?")
    a.sees("Hello Grace, how was the pitch")
    b.sees("Hello Grace, how was the pitch")
    assert b.page.inner_text("#chat-typing") == ""  # the message itself ends the typing notice

    message = b.page.locator("#chat-log .chat-msg", has_text="how was the pitch").first
    message.hover()
    message.get_by_role("button", name="Reply").click()
    assert "Replying to Kofi Mensah" in b.page.inner_text("#chat-context")
    b.say("It went **really** well, thank you!")
    a.sees("It went really well")
    reply = a.page.locator("#chat-log .chat-msg", has_text="It went really well").first
    assert "Kofi Mensah" in reply.locator(".chat-quote").inner_text()
    assert "how was the pitch" in reply.locator(".chat-quote").inner_text()
    assert reply.locator(".chat-body strong").inner_text() == "really"
    assert reply.locator(".chat-author").inner_text() == "Grace Achieng"
    assert (
        a.texts()
        == b.texts()
        == ["Hello Grace, how was the pitch on Monday?", "It went really well, thank you!"]
    )
    a.shot("chat-a.png")
    b.shot("chat-b.png")

    # Keyboard only: the log is one tab stop before the composer; arrows walk it, Tab reaches its buttons.
    a.page.focus("#chat-input")
    a.page.keyboard.press("Shift+Tab")
    assert a.page.evaluate("document.activeElement.id") == "seq-2"
    a.page.keyboard.press("ArrowUp")
    assert a.page.evaluate("document.activeElement.id") == "seq-1"
    a.page.keyboard.press("Tab")
    assert a.page.evaluate("document.activeElement.textContent") == "Reply"
    a.page.keyboard.press("Enter")
    assert "Replying to Kofi Mensah" in a.page.inner_text("#chat-context")
    a.page.keyboard.press("Escape")
    assert a.page.locator("#chat-context").is_hidden()


def test_a_member_goes_offline_and_back_and_both_screens_agree(harambee):
    a, b, _ = harambee
    a.say("Before the storm")
    b.sees("Before the storm")

    b.context.set_offline(True)
    b.page.evaluate("window.circlesChat.socket.close()")  # offline emulation leaves open sockets alone
    b.page.wait_for_selector("#chat-status:not([data-state=connected])", timeout=TIMEOUT)
    for n in (1, 2, 3):
        a.say(f"A says {n} while Grace is away")
        a.sees(f"A says {n}")
    b.say("B writes 1 offline")
    b.say("B writes 2 offline")
    b.page.wait_for_timeout(1500)
    assert b.page.locator("#chat-log .chat-pending").count() == 2
    assert "sending…" in b.page.locator("#chat-log .chat-pending").first.inner_text()
    assert not any("A says" in text for text in b.texts())

    b.context.set_offline(False)
    b.page.wait_for_selector(CONNECTED, timeout=20_000)
    b.page.wait_for_function(
        "() => document.querySelectorAll('#chat-log .chat-pending').length === 0", timeout=TIMEOUT
    )
    expected = [
        "Before the storm",
        *(f"A says {n} while Grace is away" for n in (1, 2, 3)),
        "B writes 1 offline",
        "B writes 2 offline",
    ]
    a.page.wait_for_function(
        "n => document.querySelectorAll('#chat-log .chat-msg:not(.chat-pending)').length >= n",
        arg=len(expected),
        timeout=TIMEOUT,
    )
    a.page.wait_for_timeout(500)  # anything doubled would have arrived by now
    assert a.texts() == b.texts() == expected
    seqs = b.page.eval_on_selector_all(
        "#chat-log .chat-msg", "items => items.map(li => Number(li.dataset.seq))"
    )
    assert seqs == list(range(1, len(expected) + 1))
    assert b.page.evaluate("sessionStorage.length") == 0  # nothing left waiting for a reload either

    # A reload shows the same conversation from the server's record.
    b.page.reload()
    b.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    assert b.texts() == expected


def test_the_chat_socket_opens_first_and_a_reconnect_is_caught_up_without_asking(harambee):
    # Browsers open one socket to a host at a time, so the bell's waits for the chat's. And a socket's URL
    # says what the page holds: the server replays what it missed without the client asking with `sync`.
    a, b, _ = harambee
    a.say("Before the drop")
    b.sees("Before the drop")
    sockets: list[tuple[str, list[str]]] = []

    def opened(socket: Any) -> None:
        sent: list[str] = []
        socket.on("framesent", lambda payload: sent.append(str(payload)))
        sockets.append((socket.url, sent))

    b.page.on("websocket", opened)
    with b.page.expect_websocket(lambda socket: socket.url.endswith("/ws/me/"), timeout=TIMEOUT):
        b.page.reload()
    b.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    assert [url.split("/ws/")[1].split("/")[0] for url, _sent in sockets] == ["circles", "me"]
    assert sockets[0][0].endswith("/?after_seq=1")  # the page holds seq 1

    b.context.set_offline(True)
    b.page.evaluate("window.circlesChat.socket.close()")  # offline emulation leaves open sockets alone
    b.page.wait_for_selector("#chat-status:not([data-state=connected])", timeout=TIMEOUT)
    a.say("While Grace is away")
    a.sees("While Grace is away")
    b.context.set_offline(False)
    b.sees("While Grace is away")
    url, sent = sockets[-1]
    assert "/ws/circles/" in url
    assert url.endswith("/?after_seq=1")  # it still held seq 1, and seq 2 came unasked
    assert [frame for frame in sent if '"sync"' in frame] == []


def test_reactions_edits_deletions_and_the_new_messages_divider(harambee, daphne_server):
    a, b, _url = harambee
    a.say("Who is joining Thursday?")
    b.sees("Who is joining Thursday?")

    question = b.page.locator("#chat-log .chat-msg", has_text="Who is joining").first
    question.hover()
    question.get_by_role("button", name="React").click()
    b.page.get_by_role("button", name="React with 👍").click()
    chip = a.page.locator("#chat-log .chat-reaction", has_text="👍")
    chip.wait_for(timeout=TIMEOUT)
    assert chip.inner_text() == "👍 1"
    assert chip.get_attribute("aria-pressed") == "false"
    chip.click()
    a.page.wait_for_selector("#chat-log .chat-reaction[aria-pressed=true]:has-text('👍 2')", timeout=TIMEOUT)
    b.page.wait_for_selector("#chat-log .chat-reaction[aria-pressed=true]:has-text('👍 2')", timeout=TIMEOUT)

    mine = a.page.locator("#chat-log .chat-msg", has_text="Who is joining").first
    mine.hover()
    mine.get_by_role("button", name="Edit").click()
    assert a.page.input_value("#chat-input") == "Who is joining Thursday?"
    a.say("Who is joining on Thursday evening?")
    b.sees("Who is joining on Thursday evening?")
    edited = b.page.locator("#chat-log .chat-msg", has_text="Thursday evening").first
    assert "edited" in edited.locator(".chat-meta").inner_text()
    assert "👍 2" in edited.inner_text()  # an edit keeps the reactions

    a.say("Oops, wrong circle")
    b.sees("Oops, wrong circle")
    oops = a.page.locator("#chat-log .chat-msg", has_text="Oops").first
    oops.hover()
    a.page.once("dialog", lambda dialog: dialog.accept())
    oops.get_by_role("button", name="Delete").click()
    b.page.wait_for_selector(
        "#chat-log .chat-deleted .chat-tombstone:has-text('message deleted')", timeout=TIMEOUT
    )
    assert "Oops" not in b.page.inner_text("#chat-log")

    # Grace leaves; what Kofi says meanwhile is counted on her home page and marked when she comes back.
    b.page.wait_for_timeout(1200)  # her read marker reaches the server (sent at most once a second)
    b.page.goto("about:blank")
    a.say("First thing you missed")
    a.say("Second thing you missed")
    a.sees("Second thing you missed")
    b.page.goto(f"{daphne_server}/")
    badge = b.page.locator(".circle-card .unread-badge")
    badge.wait_for(state="visible", timeout=TIMEOUT)
    assert badge.inner_text().startswith("2")
    b.shot("home-unread.png")
    b.page.click(".circle-card h3 a")
    b.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    following = b.page.eval_on_selector(
        "#chat-log .chat-divider", "d => d.nextElementSibling.querySelector('.chat-body').innerText"
    )
    assert following == "First thing you missed"
    assert b.page.text_content("#chat-log .chat-divider") == "New messages"
    b.shot("chat-b-divider.png")


def test_a_member_and_their_coach_talk_in_a_private_thread(chromium, daphne_server, demo):
    member = Person(
        chromium, daphne_server, "grace", demo["password"], viewport={"width": 1000, "height": 760}
    )
    member.page.get_by_role("button", name="Message Amani Wanjiru privately").click()
    member.page.wait_for_url("**/threads/*/")
    member.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    assert member.page.inner_text("h1") == "You and Amani Wanjiru"
    member.say("Could we talk about my goals before Thursday?")
    member.sees("Could we talk about my goals")

    coach = Person(
        chromium, daphne_server, "amani.coach", demo["password"], viewport={"width": 1000, "height": 760}
    )
    badge = coach.page.locator(".thread-card .unread-badge")
    badge.wait_for(state="visible", timeout=TIMEOUT)
    assert badge.inner_text().startswith("1")
    coach.page.click(".thread-card h3 a")
    coach.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    coach.sees("Could we talk about my goals")
    coach.page.wait_for_selector("[data-person=grace] .presence-dot.is-online", timeout=TIMEOUT)
    coach.say("Of course, Grace. Tomorrow at 10 your time?")
    member.sees("Tomorrow at 10 your time?")
    assert member.texts() == coach.texts()
    coach.shot("chat-thread.png")
    for person in (member, coach):
        person.context.close()
    assert member.errors + coach.errors == []


@pytest.fixture
def tight_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The daphne started after this allows 5 messages per 2 s, so a burst meets the limit quickly."""
    monkeypatch.setenv("CHAT_RATE_LIMIT_MESSAGES", "5")
    monkeypatch.setenv("CHAT_RATE_LIMIT_SECONDS", "2")


def test_a_burst_beyond_the_rate_limit_arrives_complete_and_in_order(tight_rate_limit, harambee):
    a, b, _ = harambee
    # 18 quick sends exceed 5 in some window even if they spread over three windows.
    burst = [f"burst {n:02d}" for n in range(1, 19)]
    for text in burst:
        a.say(text)
    a.page.wait_for_selector("#chat-log .chat-pending .chat-send-error", timeout=TIMEOUT)  # told to wait
    a.page.wait_for_function(
        "() => document.querySelectorAll('#chat-log .chat-pending').length === 0", timeout=20_000
    )
    b.page.wait_for_function(
        "n => document.querySelectorAll('#chat-log .chat-msg').length === n", arg=len(burst), timeout=TIMEOUT
    )
    assert a.texts() == b.texts() == burst


@pytest.mark.parametrize("source", ["history_api", "sync_fallback"])
def test_older_history_loads_upward_without_gaps_or_repeats(chromium, daphne_server, demo, source):
    from django.db import connection

    from chat import access, services
    from chat.sending import Send, send_messages
    from coaching.accounts.models import User

    circle_id = demo["circles"][1]["id"]

    def write_history() -> None:
        # In a thread of its own: the broadcasts after commit cannot run beside Playwright's event loop.
        kofi, grace = User.objects.get(username="kofi"), User.objects.get(username="grace")
        room = access.access_room(kofi, circle_id)
        for n in range(1, 121):
            author = kofi if n % 3 else grace
            send_messages(sends=[Send(author=author, room=room, client_id=uuid.uuid4(), body=f"line {n}")])
        services.mark_read(user=grace, room=room, seq=100)
        connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(write_history).result()

    reader = Person(
        chromium, daphne_server, "grace", demo["password"], viewport={"width": 900, "height": 800}
    )
    asked = []
    reader.page.on(
        "request", lambda request: asked.append(request.url) if "/messages/?" in request.url else None
    )
    if source == "sync_fallback":  # a server without the history API: the client replays older pages by sync
        reader.page.route("**/api/circles/*/messages/*", lambda route: route.fulfill(status=404, body="{}"))
    reader.open(f"{daphne_server}/circles/{circle_id}/")
    assert reader.texts() == [f"line {n}" for n in range(71, 121)]  # the latest page, from the server
    divider_next = reader.page.eval_on_selector(
        "#chat-log .chat-divider", "d => d.nextElementSibling.querySelector('.chat-body').innerText"
    )
    assert divider_next == "line 101"
    for _ in range(10):
        if "beginning of the conversation" in reader.page.inner_text("#chat-older"):
            break
        reader.page.eval_on_selector("#chat-scroller", "s => { s.scrollTop = 0; }")
        reader.page.wait_for_timeout(400)
    assert "beginning of the conversation" in reader.page.inner_text("#chat-older")
    assert reader.texts() == [f"line {n}" for n in range(1, 121)]
    assert any("before_seq=71" in url for url in asked)
    reader.context.close()
    assert [e for e in reader.errors if "404" not in e] == []


def test_a_spanish_speaking_member_gets_the_chat_in_spanish_with_her_own_clock(chromium, daphne_server, demo):
    puentes = demo["circles"][0]
    assert "camila" in puentes["members"]
    camila = Person(
        chromium,
        daphne_server,
        "camila",
        demo["password"],
        viewport={"width": 390, "height": 800},
        timezone_id="Asia/Tokyo",
    )
    camila.open(f"{daphne_server}/circles/{puentes['id']}/")
    assert camila.page.inner_text("#chat-status-text") == "Conectado"
    assert camila.page.get_attribute("#chat-input", "placeholder") == "Escribe un mensaje…"
    camila.say("¡Hola a todas y todos!")
    camila.sees("¡Hola a todas y todos!")
    shown = camila.page.inner_text("#chat-log .chat-time")
    expected = camila.page.evaluate(
        """iso => new Intl.DateTimeFormat("es", {
            timeZone: "America/Bogota", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
        }).format(new Date(iso))""",
        camila.page.get_attribute("#chat-log .chat-time", "datetime"),
    )
    assert shown == expected  # Bogotá time, whatever zone the browser itself is in
    camila.shot("chat-es.png")
    camila.context.close()
    assert camila.errors == []


HOSTILE = [
    '<img src=x onerror="window.__xss=1">',
    "[click me](javascript:window.__xss=1)",
    "<script>window.__xss=1</script>",
    "<svg onload=window.__xss=1>",
    '<a href="javascript:window.__xss=1">link</a>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    '"><img src=x onerror=window.__xss=1>',
]


def test_hostile_messages_render_as_harmless_text(harambee):
    a, b, _url = harambee
    for text in HOSTILE:
        a.say(text)
    b.page.wait_for_function(
        "n => document.querySelectorAll('#chat-log .chat-msg:not(.chat-pending)').length === n",
        arg=len(HOSTILE),
        timeout=TIMEOUT,
    )
    for person in (a, b):
        bodies = person.page.locator("#chat-log .chat-body")
        assert bodies.locator("img, svg, script, iframe, math, style").count() == 0
        assert bodies.locator("a[href^='javascript' i]").count() == 0
        for link in bodies.locator("a").all():
            link.click(modifiers=["Control"])  # if anything were live, this is where it would fire
        assert person.page.evaluate("typeof window.__xss") == "undefined"
    shown = b.texts()
    assert '<img src=x onerror="window.__xss=1">' in shown  # the words are kept, as text
    assert "<script>window.__xss=1</script>" in shown

    # From the server-rendered page config too, not only from the socket.
    b.page.reload()
    b.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    assert len(b.texts()) == len(HOSTILE)
    assert b.page.evaluate("typeof window.__xss") == "undefined"


def test_on_a_phone_the_composer_is_visible_and_works(chromium, daphne_server, demo):
    url = f"{daphne_server}/circles/{demo['circles'][1]['id']}/"
    phone = Person(
        chromium,
        daphne_server,
        "grace",
        demo["password"],
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    phone.open(url)
    composer = phone.page.locator("#chat-input")
    box = composer.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    assert box["y"] + box["height"] <= 740, "the composer should be on the first screen"
    assert phone.page.locator("#chat-send").is_visible()
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    phone.say("Typing on my phone works fine")
    phone.sees("Typing on my phone works fine")
    phone.page.fill("#chat-input", "Thanks @ko")
    phone.page.wait_for_selector("#chat-mentions [role=option]:has-text('Kofi Mensah')", timeout=TIMEOUT)
    phone.page.press("#chat-input", "Enter")
    assert phone.page.input_value("#chat-input") == "Thanks @kofi "
    phone.shot("chat-phone.png")
    phone.page.set_viewport_size({"width": 360, "height": 640})  # the narrowest phones we support
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.page.locator("#chat-send").is_visible()
    phone.context.close()
    assert not phone.errors, phone.errors


def in_thread(work: Any) -> Any:
    """Database work in a thread of its own: broadcasts after commit cannot run beside Playwright's loop."""
    from django.db import connection

    def run() -> Any:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=60)


def test_a_link_to_an_old_message_loads_it_scrolls_to_it_highlights_and_focuses_it(
    chromium, daphne_server, demo
):
    from chat.access import access_room
    from chat.models import ReadMarker
    from chat.sending import Send, Sent, send_messages
    from coaching.accounts.models import User
    from coaching.notifications.models import Notification

    circle = demo["circles"][1]

    def write_history() -> tuple[Any, ...]:
        kofi = User.objects.get(username="kofi")
        room = access_room(kofi, circle["id"])
        bodies = [f"Update number {n}" for n in range(1, 131)]
        bodies[4] = "@grace the venue moved to the library"  # seq 5: far before the first page of 50
        bodies[-1] = "@grace and the time to 18:00"
        sends = [Send(author=kofi, room=room, client_id=uuid.uuid4(), body=body) for body in bodies]
        sent = [result for result in send_messages(sends=sends) if isinstance(result, Sent)]
        assert len(sent) == len(sends)
        mention = Notification.objects.get(recipient__username="grace", position=5)
        return room, sent[4].message, sent[-1].message, mention

    room, target, latest, mention = in_thread(write_history)
    assert target.seq == 5
    assert mention.url == f"/circles/{circle['id']}/#message-{target.pk}"

    person = Person(
        chromium, daphne_server, "grace", demo["password"], viewport={"width": 1100, "height": 800}
    )
    try:
        person.page.goto(f"{daphne_server}{mention.url}")
        shown = person.page.locator(f"#chat-log .chat-msg.chat-target[data-id='{target.pk}']")
        shown.wait_for(timeout=TIMEOUT)
        assert "the venue moved to the library" in shown.inner_text()
        person.page.wait_for_function(
            f"() => document.activeElement && document.activeElement.dataset.id === '{target.pk}'",
            timeout=TIMEOUT,
        )
        # On screen inside the conversation's scroller, not merely somewhere in the page.
        assert person.page.evaluate(
            """id => {
                const box = document.getElementById('chat-scroller').getBoundingClientRect();
                const item = document.querySelector(`#chat-log .chat-msg[data-id='${id}']`);
                const rect = item.getBoundingClientRect();
                return rect.top >= box.top && rect.bottom <= box.bottom;
            }""",
            target.pk,
        )
        # Read as usual up to what is on screen: the linked mention is read, the newest one is not.
        person.page.wait_for_function(
            "() => fetch('/notifications/unread/').then(r => r.json()).then(d => d.unread === 1)",
            polling=250,
            timeout=TIMEOUT,
        )
        marker = in_thread(lambda: ReadMarker.objects.get(room=room, user__username="grace").seq)
        assert target.seq <= marker < latest.seq
    finally:
        person.context.close()
    assert person.errors == []
