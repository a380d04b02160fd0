"""Library pages and actions over HTTP: what members see, and everyone else refused (admins included)."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from chat import services as chat
from coaching.library import notes, pins, selectors
from tests.library.conftest import signed_in

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def library_url(place) -> str:
    return reverse("circle_library", args=[place.circle.pk])


def outsiders(place):
    """Signed in, refused: another circle's member, the admin, a member who left, one before the charter."""
    return [place.other_member, place.admin, place.leaver, place.newcomer]


def all_urls(place, message_id: int) -> list[tuple[str, str]]:
    c = place.circle.pk
    return [
        ("get", reverse("circle_library", args=[c])),
        ("get", reverse("circle_notes_edit", args=[c])),
        ("post", reverse("circle_notes_edit", args=[c])),
        ("get", reverse("circle_notes_history", args=[c])),
        ("get", reverse("circle_notes_revision", args=[c, 1])),
        ("post", reverse("circle_pin_message", args=[c, message_id])),
        ("post", reverse("circle_unpin_message", args=[c, message_id])),
    ]


def test_the_library_lists_pins_links_and_notes_for_a_member(place):
    message = place.say(place.kofi, "Read *this*: https://guide.example.org/start")
    pins.pin_message(user=place.kofi, room=place.room, message_id=message)
    notes.save_note(user=place.grace, circle=place.circle, base=0, text="# Our plan\n- **meet** weekly")
    page = signed_in(place.grace).get(library_url(place)).content.decode()
    pinned = re.search(r'<li class="card library-pin" data-message="(\d+)">(.*?)</li>', page, re.S)
    assert pinned
    assert int(pinned.group(1)) == message
    assert "<em>this</em>" in pinned.group(2)
    assert "Pinned by Kofi" in pinned.group(2)
    assert f"#message-{message}" in pinned.group(2)
    assert 'href="https://guide.example.org/start" rel="nofollow noopener noreferrer"' in page
    assert "<strong>meet</strong>" in page
    assert "Revision 1, saved by Grace" in page
    # Grace did not pin it and is not the coach: no unpin button for her; Kofi and the coach have one.
    unpin = reverse("circle_unpin_message", args=[place.circle.pk, message])
    assert unpin not in page
    for person in (place.kofi, place.coach):
        assert unpin in signed_in(person).get(library_url(place)).content.decode()


def test_notes_are_sanitised(place):
    notes.save_note(
        user=place.grace,
        circle=place.circle,
        base=0,
        text="<script>alert(1)</script> [x](javascript:alert(2))",
    )
    page = signed_in(place.kofi).get(library_url(place)).content.decode()
    notes_html = re.search(
        r'<div class="message-html library-notes" id="circle-notes"[^>]*>(.*?)</div>', page, re.S
    )
    assert notes_html
    assert "<script" not in notes_html.group(1)
    assert "&lt;script&gt;" in notes_html.group(1)
    assert "href=" not in notes_html.group(1)


def test_everyone_but_the_circles_people_gets_404_admins_included(place):
    message = place.say(place.kofi, "private words https://secret.example.org")
    pins.pin_message(user=place.kofi, room=place.room, message_id=message)
    notes.save_note(user=place.kofi, circle=place.circle, base=0, text="private notes")
    for person in outsiders(place):
        client = signed_in(person)
        for method, url in all_urls(place, message):
            response = getattr(client, method)(
                url, {"base": 0, "text": "intrusion"} if method == "post" else {}, **JSON
            )
            assert response.status_code == 404, (person.username, url)
            assert b"private" not in response.content
            assert b"secret.example.org" not in response.content
    assert [p.message_id for p in selectors.visible_pins(room=place.room)] == [message]
    assert [r.text for r in selectors.revisions(circle=place.circle)] == ["private notes"]


def test_signed_out_visitors_are_sent_to_sign_in_and_pins_answer_401(place):
    message = place.say(place.kofi, "hello")
    client = signed_in(None)
    page = client.get(library_url(place))
    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]
    answer = client.post(reverse("circle_pin_message", args=[place.circle.pk, message]), **JSON)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "forbidden"


def test_pin_and_unpin_over_http_answer_json_and_refusals_say_why(place):
    message = place.say(place.grace, "pin me")
    pin_url = reverse("circle_pin_message", args=[place.circle.pk, message])
    unpin_url = reverse("circle_unpin_message", args=[place.circle.pk, message])
    answer = signed_in(place.grace).post(pin_url, **JSON)
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "pinned_by": place.grace.pk}
    refused = signed_in(place.kofi).post(unpin_url, **JSON)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "forbidden",
        "detail": "Only the person who pinned a message, or the coach, can unpin it.",
    }
    missing = signed_in(place.kofi).post(
        reverse("circle_pin_message", args=[place.circle.pk, 999999]), **JSON
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert signed_in(place.coach).post(unpin_url, **JSON).json() == {"ok": True}
    assert selectors.visible_pins(room=place.room) == []


def test_a_plain_form_unpin_redirects_to_the_library_with_a_flash(place):
    message = place.say(place.grace, "pin me")
    pins.pin_message(user=place.grace, room=place.room, message_id=message)
    client = signed_in(place.grace)
    response = client.post(reverse("circle_unpin_message", args=[place.circle.pk, message]), follow=True)
    assert response.redirect_chain == [(library_url(place), 302)]
    assert "The message is no longer pinned." in response.content.decode()


def test_pinning_a_deleted_message_is_refused(place):
    message = place.say(place.kofi, "gone soon")
    chat.delete_message(user=place.kofi, room=place.room, message_id=message)
    answer = signed_in(place.grace).post(
        reverse("circle_pin_message", args=[place.circle.pk, message]), **JSON
    )
    assert answer.status_code == 403
    assert "no longer shown" in answer.json()["error"]["detail"]


def test_the_circle_page_links_to_the_library_and_tells_the_chat_what_is_pinned(place):
    message = place.say(place.kofi, "pinned one")
    pins.pin_message(user=place.kofi, room=place.room, message_id=message)
    page = signed_in(place.grace).get(reverse("circle", args=[place.circle.pk])).content.decode()
    assert f'href="{library_url(place)}"' in page
    found = re.search(r'<script id="library-config" type="application/json">(.*?)</script>', page, re.S)
    assert found
    config = json.loads(found.group(1))
    assert config["pins"] == {str(message): place.kofi.pk}
    assert config["pinUrl"] == f"/circles/{place.circle.pk}/messages/{{id}}/pin/"
    # A member before the charter sees the circle page but neither the chat nor its library.
    before = signed_in(place.newcomer).get(reverse("circle", args=[place.circle.pk])).content.decode()
    assert "library-config" not in before
    assert library_url(place) not in before


# ---------------------------------------------------------------- notes pages


def edit(client, place, *, base: int, text: str):
    return client.post(reverse("circle_notes_edit", args=[place.circle.pk]), {"base": base, "text": text})


def test_editing_starts_from_the_current_revision_and_saving_goes_back_to_the_library(place):
    notes.save_note(user=place.coach, circle=place.circle, base=0, text="Agenda")
    client = signed_in(place.grace)
    form = client.get(reverse("circle_notes_edit", args=[place.circle.pk])).content.decode()
    assert re.search(r'name="base" value="1"', form)
    assert re.search(r">\s*Agenda</textarea>", form)
    saved = edit(client, place, base=1, text="Agenda\n- Grace")
    assert saved.status_code == 302
    assert saved["Location"] == library_url(place) + "#notes"
    assert selectors.current_revision(circle=place.circle).text == "Agenda\n- Grace"


def test_the_second_editor_from_the_same_base_is_shown_the_others_text_and_both_are_kept(place):
    notes.save_note(user=place.coach, circle=place.circle, base=0, text="Agenda")
    assert edit(signed_in(place.grace), place, base=1, text="Agenda\n- Grace's point").status_code == 302
    answer = edit(signed_in(place.kofi), place, base=1, text="Agenda\n- Kofi's point")
    assert answer.status_code == 409
    page = answer.content.decode()
    assert 'id="notes-conflict"' in page
    assert "Grace saved revision 2 after you started" in page
    assert re.search(r'<pre class="library-text" id="their-text">Agenda\n- Grace&#x27;s point</pre>', page)
    assert re.search(r'<li class="diff-removed">.*?- Grace&#x27;s point</li>', page)
    assert re.search(r'<li class="diff-added">.*?- Kofi&#x27;s point</li>', page)
    # The form holds Kofi's own text, based on his new revision, ready to merge.
    assert re.search(r'name="base" value="3"', page)
    assert re.search(r">\s*Agenda\n- Kofi&#x27;s point</textarea>", page)
    history = (
        signed_in(place.grace).get(reverse("circle_notes_history", args=[place.circle.pk])).content.decode()
    )
    rows = re.findall(r'data-number="(\d+)" data-author="(\w+)"', history)
    assert rows == [("3", "kofi"), ("2", "grace"), ("1", "coach")]
    assert history.count("while someone else saved") == 1


def test_a_revision_page_shows_its_full_text_and_what_it_changed(place):
    notes.save_note(user=place.coach, circle=place.circle, base=0, text="one\ntwo")
    notes.save_note(user=place.grace, circle=place.circle, base=1, text="one\nthree")
    page = (
        signed_in(place.kofi)
        .get(reverse("circle_notes_revision", args=[place.circle.pk, 2]))
        .content.decode()
    )
    assert "Changes from revision 1" in page
    assert re.search(r'<li class="diff-removed">.*?two</li>', page)
    assert re.search(r'<li class="diff-added">.*?three</li>', page)
    assert '<pre class="library-text" id="revision-text">one\nthree</pre>' in page
    assert (
        signed_in(place.kofi).get(reverse("circle_notes_revision", args=[place.circle.pk, 9])).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"base": 0, "text": "bad \x07 bell"}, "This text cannot contain control characters."),
        ({"base": 7, "text": "from nowhere"}, "That revision of the notes does not exist."),
        ({"base": "x", "text": "no base"}, "This form is out of date."),
        ({"base": 0, "text": "x" * (notes.MAX_NOTE + 1)}, "at most"),
    ],
)
def test_bad_edits_answer_400_with_a_sentence_and_store_nothing(place, fields, error):
    answer = signed_in(place.grace).post(reverse("circle_notes_edit", args=[place.circle.pk]), fields)
    assert answer.status_code == 400
    assert error in answer.content.decode()
    assert selectors.revisions(circle=place.circle) == []


def test_the_library_lists_files_shared_and_narrows_them_by_type_and_person(place):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat.models import Attachment
    from tests.chat.conftest import post
    from tests.chat.test_attachments import pdf, png

    def share(who, data: bytes, name: str) -> None:
        response = signed_in(who).post(
            reverse("api_circle_upload", args=[place.circle.pk]), {"file": SimpleUploadedFile(name, data)}
        )
        assert response.status_code == 201, response.content
        post(
            who,
            place.room,
            name,
            attachments=(Attachment.objects.get(key=response.json()["attachment"]["id"]).key,),
        )

    share(place.kofi, png(), "whiteboard.png")
    share(place.grace, pdf(), "reading.pdf")
    url = reverse("circle_library", args=[place.circle.pk])
    page = signed_in(place.grace).get(url).content.decode()
    assert "whiteboard.png" in page
    assert "reading.pdf" in page
    assert 'class="library-thumb"' in page  # the image shows as a thumbnail
    images = signed_in(place.grace).get(url, {"kind": "image"}).content.decode()
    assert "whiteboard.png" in images
    assert "reading.pdf" not in images
    by_grace = signed_in(place.kofi).get(url, {"person": place.grace.username}).content.decode()
    assert "reading.pdf" in by_grace
    assert "whiteboard.png" not in by_grace
    foreign = signed_in(place.kofi).get(url, {"person": place.other_member.username})
    assert foreign.status_code == 400
    assert "That person is not in this circle." in foreign.content.decode()
    assert "reading.pdf" not in foreign.content.decode()
    assert signed_in(place.other_member).get(url).status_code == 404
