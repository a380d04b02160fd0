"""chat.search on the real database: stemming by the message's language, who finds what, filters, snippets."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from chat import search, services, threads
from chat.access import access_room, access_thread, readable_rooms
from chat.models import Message, Room
from chat.sending import Send, send_messages
from circles import services as circle_services
from coaching.accounts.models import User
from coaching.lib.errors import ChatError, NoAccess
from tests.chat.test_api import Chat, chat_fixture, say  # noqa: F401 - fixtures shared with the API tests
from tests.circles.conftest import world  # noqa: F401


def speaking(user: User, language: str) -> User:
    user.ui_language = language
    user.save(update_fields=["ui_language"])
    return user


def bodies(user: User, query: str, **criteria) -> list[str]:
    results = search.search(user=user, criteria=search.Criteria(query=query, **criteria))
    return [hit.message.body for hit in results.hits]


def test_each_message_keeps_its_authors_language_alone_and_in_a_batch(chat: Chat):
    spanish = speaking(chat.members[0], "es")
    alone = say(spanish, chat.room, "hola")
    sends = [
        Send(author=spanish, room=chat.room, client_id=uuid.uuid4(), body="uno"),
        Send(author=chat.coach, room=chat.room, client_id=uuid.uuid4(), body="one"),
    ]
    batch = [sent.message for sent in send_messages(sends=sends)]  # type: ignore[union-attr]
    stored = dict(Message.objects.values_list("body", "language"))
    assert stored == {"hola": "es", "uno": "es", "one": "en"}
    assert [alone.language, batch[0].language, batch[1].language] == ["es", "es", "en"]


@pytest.mark.postgres
def test_spanish_is_stemmed_and_accents_do_not_matter(chat: Chat):
    spanish = speaking(chat.members[0], "es")
    say(spanish, chat.room, "Mañana tenemos dos reuniones con el equipo")
    say(spanish, chat.room, "Nada que ver")
    assert bodies(chat.coach, "reunión") == ["Mañana tenemos dos reuniones con el equipo"]
    assert bodies(chat.coach, "reunion") == ["Mañana tenemos dos reuniones con el equipo"]
    assert bodies(chat.coach, "manana equipos") == ["Mañana tenemos dos reuniones con el equipo"]
    (hit,) = search.search(user=chat.coach, criteria=search.Criteria(query="reunión")).hits
    assert "<mark>reuniones</mark>" in hit.snippet


@pytest.mark.postgres
def test_english_is_stemmed(chat: Chat):
    english = speaking(chat.members[1], "en")
    say(english, chat.room, "We had three meetings about habits")
    say(english, chat.room, "Unrelated")
    assert bodies(chat.coach, "meeting habit") == ["We had three meetings about habits"]
    assert bodies(chat.coach, "meetings -habits") == []


@pytest.mark.postgres
def test_a_message_of_another_language_is_found_by_its_exact_words(chat: Chat):
    message = say(chat.members[0], chat.room, "Tulikutana jana kwenye mkutano")  # Swahili: no stemmer
    Message.objects.filter(pk=message.pk).update(language="sw")  # recomputes its search document
    say(chat.members[0], chat.room, "Nothing here")
    assert bodies(chat.coach, "mkutano") == ["Tulikutana jana kwenye mkutano"]


@pytest.mark.postgres
def test_the_best_match_comes_first(chat: Chat):
    say(chat.members[0], chat.room, "goals")
    say(chat.members[0], chat.room, "goals goals goals: my goals for the quarter")
    say(chat.members[0], chat.room, "goalkeeper stories")
    assert bodies(chat.coach, "goals") == ["goals goals goals: my goals for the quarter", "goals"]


def test_it_searches_every_circle_and_thread_i_read_and_nothing_else(chat: Chat):
    member = chat.members[0]
    thread = threads.open_thread(coach=chat.coach, member=member)
    other_thread = threads.open_thread(coach=chat.coach, member=chat.members[1])
    say(member, chat.room, "budget in the circle")
    say(chat.coach, thread.room, "budget just for you")
    say(chat.coach, other_thread.room, "budget for someone else")
    say(chat.neighbour, chat.neighbour_room, "budget next door")
    assert sorted(bodies(member, "budget")) == ["budget in the circle", "budget just for you"]
    assert sorted(bodies(chat.coach, "budget")) == [
        "budget for someone else",
        "budget in the circle",
        "budget just for you",
    ]
    assert bodies(chat.neighbour, "budget") == ["budget next door"]


def test_a_removed_member_keeps_their_thread_but_not_the_circle(chat: Chat):
    member = chat.members[0]
    thread = threads.open_thread(coach=chat.coach, member=member)
    say(chat.members[1], chat.room, "farewell from the circle")
    say(chat.coach, thread.room, "farewell from your coach")
    circle_services.remove_member(actor=chat.world.admin, circle=chat.circle, member=member, reason="left")
    assert bodies(member, "farewell") == ["farewell from your coach"]


def test_a_member_before_the_charter_finds_nothing_in_the_circle(chat: Chat):
    say(chat.members[0], chat.room, "charter comes first")
    assert bodies(chat.newcomer, "charter") == []


@pytest.mark.parametrize("who", ["admin", "other_admin", "superuser"])
def test_an_admin_never_finds_chat_text(chat: Chat, who: str):
    say(chat.members[0], chat.room, "private feelings")
    thread = threads.open_thread(coach=chat.coach, member=chat.members[0])
    say(chat.coach, thread.room, "private follow up")
    admin = {
        "admin": chat.world.admin,
        "other_admin": chat.world.other_admin,
        "superuser": User.objects.create_superuser("root", "root@example.org", "pw"),
    }[who]
    assert bodies(admin, "private") == []
    assert not readable_rooms(admin).exists()


def test_a_disabled_account_finds_nothing(chat: Chat):
    say(chat.members[1], chat.room, "still here")
    member = chat.members[0]
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert bodies(member, "still") == []


def test_readable_rooms_agrees_with_the_access_functions(chat: Chat):
    threads.open_thread(coach=chat.coach, member=chat.members[0])
    threads.open_thread(coach=chat.world.other_coach, member=chat.neighbour)
    circle_services.remove_member(
        actor=chat.world.admin, circle=chat.circle, member=chat.members[1], reason="x"
    )
    access_room(chat.world.other_coach, chat.world.second.pk)  # every circle's room exists
    people = [*User.objects.all()]
    rooms = list(Room.objects.select_related("thread"))
    for person in people:
        readable = set(readable_rooms(person).values_list("pk", flat=True))
        for room in rooms:
            try:
                if room.circle_id is not None:
                    access_room(person, room.circle_id)
                else:
                    access_thread(person, room.thread.pk)
                admitted = True
            except NoAccess:
                admitted = False
            assert (room.pk in readable) is admitted, (person.username, room.key)


def test_deleted_hidden_and_edited_texts_are_not_found(chat: Chat):
    gone = say(chat.members[0], chat.room, "pineapple regret")
    rude = say(chat.members[1], chat.room, "pineapple insult")
    edited = say(chat.members[1], chat.room, "pineapple pizza")
    services.delete_message(user=chat.members[0], room=chat.room, message_id=gone.pk)
    services.hide_message(user=chat.coach, room=chat.room, message_id=rude.pk)
    services.edit_message(user=chat.members[1], room=chat.room, message_id=edited.pk, body="mango pizza")
    assert bodies(chat.coach, "pineapple") == []
    assert bodies(chat.coach, "mango") == ["mango pizza"]


def test_filters_by_person_conversation_and_dates(chat: Chat):
    member = chat.members[0]
    thread = threads.open_thread(coach=chat.coach, member=member)
    say(member, chat.room, "plan by the member")
    say(chat.coach, chat.room, "plan by the coach")
    say(chat.coach, thread.room, "plan in private")
    assert sorted(bodies(member, "plan", author_id=chat.coach.pk)) == ["plan by the coach", "plan in private"]
    assert bodies(member, "plan", room_id=thread.room.pk) == ["plan in private"]
    assert bodies(member, "plan", room_id=chat.neighbour_room.pk) == []  # not theirs: nothing, not an error
    old = Message.objects.get(body="plan by the member")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    week_ago = timezone.now() - dt.timedelta(days=7)
    assert bodies(member, "plan", until=week_ago) == ["plan by the member"]
    assert sorted(bodies(member, "plan", since=week_ago)) == ["plan by the coach", "plan in private"]


def test_the_snippet_escapes_the_text_and_marks_only_the_matches(chat: Chat):
    say(chat.members[0], chat.room, "plan <script>alert('x')</script> & <b>bold</b> and &lt; typed plan")
    (hit,) = search.search(user=chat.coach, criteria=search.Criteria(query="plan")).hits
    snippet = str(hit.snippet)
    assert "<script>" not in snippet
    assert "<b>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "&amp;lt;" in snippet  # typed "&lt;" shows as typed
    assert "<mark>plan</mark>" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_results_come_a_page_at_a_time(chat: Chat):
    for n in range(25):
        say(chat.members[0], chat.room, f"update {n}")
    criteria = search.Criteria(query="update")
    first = search.search(user=chat.coach, criteria=criteria, page=1, page_size=20)
    second = search.search(user=chat.coach, criteria=criteria, page=2, page_size=20)
    assert (len(first.hits), first.has_more, len(second.hits), second.has_more) == (20, True, 5, False)
    seen = {hit.message.pk for hit in first.hits + second.hits}
    assert len(seen) == 25


@pytest.mark.parametrize("query", ["", "   ", "-coffee", '""', "--"])
def test_a_query_with_nothing_to_find_finds_nothing(chat: Chat, query: str):
    say(chat.members[0], chat.room, "tea not coffee")
    assert bodies(chat.coach, query) == []


@pytest.mark.parametrize("query", ["w" * 201, "a\x00b", "two\nlines"])
def test_a_bad_query_is_refused_with_a_reason(chat: Chat, query: str):
    with pytest.raises(ChatError) as refused:
        bodies(chat.coach, query)
    assert refused.value.detail


@pytest.mark.postgres
def test_the_query_uses_the_gin_index(chat: Chat):
    say(chat.members[0], chat.room, "indexed words")
    sql = f"SELECT id FROM chat_message WHERE search_document @@ {search.QUERY_SQL}"  # noqa: S608 - constants
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, ["words"] * len(search.QUERY_CONFIGS))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chat_message_search_gin" in plan


def attach(message: Message, name: str) -> None:
    """A sent file on the message (a row only: search reads names, never the stored bytes)."""
    from chat.models import Attachment

    Attachment.objects.create(
        room=message.room,
        uploader=message.author,
        message=message,
        file=f"test/{uuid.uuid4()}",
        name=name,
        content_type="application/pdf",
        kind="file",
        size=10,
    )


def test_a_message_is_found_by_its_files_names_and_only_by_its_readers(chat: Chat):
    mine = say(chat.members[0], chat.room, "here it is")
    attach(mine, "Presupuesto mayo.pdf")
    theirs = say(chat.neighbour, chat.neighbour_room, "ours too")
    attach(theirs, "Presupuesto junio.pdf")
    say(chat.members[0], chat.room, "no file, no match")
    assert bodies(chat.members[1], "presupuesto") == ["here it is"]
    assert bodies(chat.members[1], "presupuesto -mayo") == []
    assert bodies(chat.neighbour, "presupuesto") == ["ours too"]
    (hit,) = search.search(user=chat.members[1], criteria=search.Criteria(query="presupuesto")).hits
    assert [file.name for file in hit.message.attachments.all()] == ["Presupuesto mayo.pdf"]


def test_only_messages_with_files_when_asked(chat: Chat):
    with_file = say(chat.members[0], chat.room, "the plan, attached")
    attach(with_file, "plan.pdf")
    say(chat.members[0], chat.room, "the plan, in words")
    assert sorted(bodies(chat.coach, "plan")) == ["the plan, attached", "the plan, in words"]
    assert bodies(chat.coach, "plan", has_file=True) == ["the plan, attached"]
