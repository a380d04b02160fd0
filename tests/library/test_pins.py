"""Pinning against the real database: who may pin and unpin, and what the library lists."""

from __future__ import annotations

import pytest

from chat import services as chat
from chat.access import circle_room_of
from coaching.lib.errors import ChatError
from coaching.library import pins, selectors

pytestmark = pytest.mark.django_db


def listed(place) -> list[tuple[int, str]]:
    return [(pin.message_id, pin.pinned_by.username) for pin in selectors.visible_pins(room=place.room)]


def test_a_member_pins_a_message_and_pinning_it_again_keeps_the_first_pinner(place):
    message = place.say(place.grace, "Our meeting link is in the calendar")
    pins.pin_message(user=place.kofi, room=place.room, message_id=message)
    pins.pin_message(user=place.grace, room=place.room, message_id=message)
    assert listed(place) == [(message, "kofi")]


def test_the_newest_pin_comes_first(place):
    first, second = place.say(place.grace, "one"), place.say(place.grace, "two")
    pins.pin_message(user=place.kofi, room=place.room, message_id=second)
    pins.pin_message(user=place.coach, room=place.room, message_id=first)
    assert [m for m, _ in listed(place)] == [first, second]


def test_the_pinner_unpins_another_member_may_not_the_coach_may_unpin_any(place):
    message = place.say(place.grace, "keep this")
    pins.pin_message(user=place.kofi, room=place.room, message_id=message)
    with pytest.raises(ChatError) as refused:
        pins.unpin_message(user=place.grace, room=place.room, message_id=message)
    assert refused.value.code == "forbidden"
    assert listed(place) == [(message, "kofi")]

    assert pins.unpin_message(user=place.coach, room=place.room, message_id=message) is True
    assert listed(place) == []
    assert pins.unpin_message(user=place.coach, room=place.room, message_id=message) is False

    pins.pin_message(user=place.grace, room=place.room, message_id=message)
    assert pins.unpin_message(user=place.grace, room=place.room, message_id=message) is True
    assert listed(place) == []


def test_deleted_and_hidden_messages_drop_out_and_cannot_be_pinned(place):
    deleted, hidden, kept = (place.say(place.kofi, text) for text in ("oops", "rude", "useful"))
    for message in (deleted, hidden, kept):
        pins.pin_message(user=place.grace, room=place.room, message_id=message)
    chat.delete_message(user=place.kofi, room=place.room, message_id=deleted)
    chat.hide_message(user=place.coach, room=place.room, message_id=hidden)
    assert [m for m, _ in listed(place)] == [kept]
    assert selectors.pinned_by_message(room=place.room) == {kept: place.grace.pk}
    for message in (deleted, hidden):
        with pytest.raises(ChatError) as refused:
            pins.pin_message(user=place.grace, room=place.room, message_id=message)
        assert refused.value.code == "forbidden"


def test_a_message_of_another_circle_is_not_found(place):
    other_room = circle_room_of(place.other_circle.pk)
    from tests.chat.conftest import post

    elsewhere = post(place.other_member, other_room, "not yours").message.pk
    for act in (pins.pin_message, pins.unpin_message):
        with pytest.raises(ChatError) as refused:
            act(user=place.kofi, room=place.room, message_id=elsewhere)
        assert refused.value.code == "not_found"


def test_shared_links_are_newest_first_from_shown_messages_with_who_and_where(place):
    old = place.say(place.grace, "Budget sheet: https://sheets.example.org/budget")
    place.say(place.kofi, "no link here")
    gone = place.say(place.kofi, "https://deleted.example.org")
    hidden = place.say(place.kofi, "https://hidden.example.org")
    new = place.say(place.kofi, "Two: [talk](https://talks.example.org/1) and https://blog.example.org")
    chat.delete_message(user=place.kofi, room=place.room, message_id=gone)
    chat.hide_message(user=place.coach, room=place.room, message_id=hidden)
    links = selectors.shared_links(room=place.room)
    assert [(link.url, link.author.username, link.message_id) for link in links] == [
        ("https://talks.example.org/1", "kofi", new),
        ("https://blog.example.org", "kofi", new),
        ("https://sheets.example.org/budget", "grace", old),
    ]
    assert selectors.shared_links(room=place.room, limit=1)[0].url == "https://talks.example.org/1"
