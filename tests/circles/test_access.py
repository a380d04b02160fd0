"""Who may reach what: each role is refused another programme's and circle's pages and data by id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from circles import services
from circles.models import Membership

pytestmark = pytest.mark.django_db


def admin_pages(programme_id, circle_id):
    return [
        ("get", reverse("programme_dashboard", args=[programme_id]), {}),
        ("get", reverse("programme_audit", args=[programme_id]), {}),
        ("get", reverse("programme_new_circle", args=[programme_id]), {}),
        ("get", reverse("programme_roster", args=[programme_id, circle_id]), {}),
        ("post", reverse("programme_assign", args=[programme_id]), {"person": 1, "circle": circle_id}),
        ("post", reverse("programme_move", args=[programme_id, circle_id]), {"person": 1, "reason": "x"}),
        ("post", reverse("programme_remove", args=[programme_id, circle_id]), {"person": 1, "reason": "x"}),
        ("post", reverse("programme_coach", args=[programme_id, circle_id]), {"coach": 1}),
        ("post", reverse("programme_close", args=[programme_id, circle_id]), {"reason": "x"}),
    ]


def statuses(client, pages):
    return {url: getattr(client, method)(url, data).status_code for method, url, data in pages}


def test_an_admin_reaches_their_programme(client, world):
    client.force_login(world.admin)
    pages = [p for p in admin_pages(world.programme.pk, world.circle.pk) if p[0] == "get"]
    assert set(statuses(client, pages).values()) == {200}


@pytest.mark.parametrize("who", ["other_admin", "coach", "member", "outsider"])
def test_nobody_else_reaches_a_programme_by_id(client, world, who):
    services.assign_member(actor=world.admin, circle=world.circle, member=world.members[0])
    user = {
        "other_admin": world.other_admin,
        "coach": world.coach,
        "member": world.members[0],
        "outsider": world.outsider,
    }[who]
    client.force_login(user)
    assert set(statuses(client, admin_pages(world.programme.pk, world.circle.pk)).values()) == {404}
    assert Membership.objects.filter(circle=world.circle, left_at__isnull=True).count() == 2
    assert world.circle.status == "forming"


def test_an_admin_cannot_reach_another_programmes_circle_through_their_own(client, world):
    client.force_login(world.admin)
    pages = [
        p
        for p in admin_pages(world.programme.pk, world.other_circle.pk)
        if "/circles/" in p[1] and "/new/" not in p[1]
    ]
    assert set(statuses(client, pages).values()) == {404}
    assert world.other_circle.memberships.filter(left_at__isnull=True).count() == 2


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for method, url, data in admin_pages(world.programme.pk, world.circle.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_programme_list_shows_only_ones_own_programmes(client, world):
    client.force_login(world.admin)
    page = client.get(reverse("programme_list")).content.decode()
    assert "Pilot" in page
    assert "Elsewhere" not in page


def test_a_circle_page_is_for_its_members_and_coach_only(client, world):
    m0, m1 = world.members[0], world.members[1]
    services.assign_member(actor=world.admin, circle=world.circle, member=m0)
    services.assign_member(actor=world.admin, circle=world.second, member=m1)
    url = reverse("circle", args=[world.circle.pk])
    for user, status in [
        (m0, 200),
        (world.coach, 200),
        (m1, 404),
        (world.admin, 404),
        (world.other_coach, 404),
        (world.outsider, 404),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.logout()
    assert client.get(url).status_code == 302


def test_a_removed_member_loses_the_circle_page(client, world):
    m0 = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m0)
    services.remove_member(actor=world.admin, circle=world.circle, member=m0, reason="left")
    client.force_login(m0)
    assert client.get(reverse("circle", args=[world.circle.pk])).status_code == 404


def test_only_members_can_accept_and_only_the_coach_can_edit_the_charter(client, world):
    m0 = world.members[0]
    services.assign_member(actor=world.admin, circle=world.circle, member=m0)
    client.force_login(world.members[1])
    assert client.post(reverse("circle_accept_charter", args=[world.circle.pk])).status_code == 404
    client.force_login(m0)
    assert (
        client.post(reverse("circle_edit_charter", args=[world.circle.pk]), {"charter": "mine"}).status_code
        == 403
    )
    client.force_login(world.admin)
    assert (
        client.post(reverse("circle_edit_charter", args=[world.circle.pk]), {"charter": "mine"}).status_code
        == 404
    )
    world.circle.refresh_from_db()
    assert world.circle.charter != "mine"
