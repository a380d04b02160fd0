"""The programme dashboard: circles with fill and meeting times, people to place, assign/move/remove."""

from __future__ import annotations

import pytest
from django.urls import reverse

from circles.models import AssignmentAudit, Circle, Membership, Programme
from coaching.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, demo):
    client.force_login(User.objects.get(username="ana.admin"))
    return client


@pytest.fixture
def programme(demo):
    return Programme.objects.get(pk=demo["programme"]["id"])


def dashboard(client, programme, **params):
    return client.get(reverse("programme_dashboard", args=[programme.pk]), params).content.decode()


def test_it_shows_each_circle_with_fill_coach_language_and_meeting_time_in_the_admins_zone(
    admin_client, programme
):
    page = dashboard(admin_client, programme)
    assert "Puentes" in page
    assert "6 / 8" in page
    assert "Lucía Fernández" in page
    # Harambee meets Thursdays 16:00 in Nairobi (UTC+3): 14:00 for Ana in Madrid in winter (UTC+1).
    harambee = page[page.index("Harambee") :]
    assert "14:00–15:30" in harambee[: harambee.index("</tr>")]


def test_meeting_times_follow_the_readers_zone(admin_client, programme):
    User.objects.filter(username="ana.admin").update(timezone="America/New_York")
    page = dashboard(admin_client, programme)
    harambee = page[page.index("Harambee") :]
    assert "08:00–09:30" in harambee[: harambee.index("</tr>")]


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({}, ["Aisha Diallo", "Pedro Álvarez", "Chloé Martin", "Tunde Adeyemi"], []),
        ({"language": "es"}, ["Pedro Álvarez", "Chloé Martin"], ["Aisha Diallo", "Tunde Adeyemi"]),
        ({"band": "americas"}, ["Pedro Álvarez"], ["Aisha Diallo", "Chloé Martin", "Tunde Adeyemi"]),
        ({"band": "europe-africa"}, ["Aisha Diallo", "Chloé Martin", "Tunde Adeyemi"], ["Pedro Álvarez"]),
        ({"focus": "WELL"}, ["Chloé Martin"], ["Aisha Diallo", "Pedro Álvarez", "Tunde Adeyemi"]),
    ],
)
def test_people_to_place_can_be_filtered(admin_client, programme, params, shown, hidden):
    page = dashboard(admin_client, programme, **params)
    section = page[page.index('id="unassigned-title"') :]
    for name in shown:
        assert name in section
    for name in hidden:
        assert name not in section
    assert "Camila Rojas" not in section  # already seated


def test_an_htmx_filter_answers_with_the_fragment_only(admin_client, programme):
    response = admin_client.get(
        reverse("programme_dashboard", args=[programme.pk]), {"language": "fr"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.startswith('<div id="dashboard-body">')
    assert "<html" not in body


def assign(client, programme, person, circle, reason="", htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        reverse("programme_assign", args=[programme.pk]),
        {"person": person.pk, "circle": circle.pk, "reason": reason},
        **headers,
    )


def test_assigning_updates_the_dashboard_in_place(admin_client, programme):
    pedro = User.objects.get(username="pedro")
    horizonte = Circle.objects.get(name="Horizonte")
    response = assign(admin_client, programme, pedro, horizonte, reason="Spanish speaker")
    body = response.content.decode()
    assert "Pedro Álvarez now sits in Horizonte." in body
    assert "8 / 8" in body
    assert Membership.objects.filter(user=pedro, circle=horizonte, left_at__isnull=True).exists()
    assert AssignmentAudit.objects.filter(action="assign", subject=pedro, reason="Spanish speaker").exists()


def test_a_plain_post_assigns_and_redirects_with_a_message(admin_client, programme):
    response = assign(
        admin_client,
        programme,
        User.objects.get(username="tunde"),
        Circle.objects.get(name="Harambee"),
        htmx=False,
    )
    assert response.status_code == 302
    assert "Tunde Adeyemi now sits in Harambee." in admin_client.get(response["Location"]).content.decode()


def test_assigning_to_a_full_circle_says_why_and_changes_nothing(admin_client, programme):
    horizonte = Circle.objects.get(name="Horizonte")
    assign(admin_client, programme, User.objects.get(username="pedro"), horizonte)
    body = assign(admin_client, programme, User.objects.get(username="chloe"), horizonte).content.decode()
    assert "Horizonte is full (8 of 8 seats taken)." in body
    assert 'role="alert"' in body
    assert not Membership.objects.filter(user__username="chloe").exists()


def test_it_refuses_a_person_or_circle_of_another_programme(admin_client, programme):
    elsewhere = Programme.objects.create(name="Elsewhere")
    stranger = User.objects.create_user(username="stranger", password="x")
    from circles import services

    services.enrol(programme=elsewhere, user=stranger, role="member")
    other_circle = Circle.objects.create(programme=elsewhere, name="Far", language="en")
    body = assign(admin_client, programme, stranger, Circle.objects.get(name="Harambee")).content.decode()
    assert "Select a valid choice" in body
    assert "stranger" not in body.lower().replace("strangers", "")
    body = assign(admin_client, programme, User.objects.get(username="pedro"), other_circle).content.decode()
    assert "Select a valid choice" in body
    assert not Membership.objects.filter(user__username__in=["stranger", "pedro"]).exists()


def roster_post(client, programme, circle, action, **data):
    return client.post(
        reverse(f"programme_{action}", args=[programme.pk, circle.pk]), data, HTTP_HX_REQUEST="true"
    ).content.decode()


def test_moving_and_removing_from_the_roster(admin_client, programme):
    puentes, horizonte = Circle.objects.get(name="Puentes"), Circle.objects.get(name="Horizonte")
    camila = User.objects.get(username="camila")
    body = roster_post(
        admin_client,
        programme,
        puentes,
        "move",
        person=camila.pk,
        to_circle=horizonte.pk,
        reason="time zone fits better",
    )
    assert "Camila Rojas moved to Horizonte." in body
    assert Membership.objects.get(user=camila, left_at__isnull=True).circle == horizonte

    body = roster_post(admin_client, programme, horizonte, "remove", person=camila.pk, reason="")
    assert "Fill in “Reason”." in body
    body = roster_post(
        admin_client, programme, horizonte, "remove", person=camila.pk, reason="left the programme"
    )
    assert "Camila Rojas left Horizonte." in body
    assert not Membership.objects.filter(user=camila, left_at__isnull=True).exists()

    audit = admin_client.get(
        reverse("programme_audit", args=[programme.pk]), {"person": "camila"}
    ).content.decode()
    assert "time zone fits better" in audit
    assert "left the programme" in audit
    assert "moved" in audit


def test_the_audit_log_filters_by_action_and_circle(admin_client, programme):
    page = admin_client.get(reverse("programme_audit", args=[programme.pk]), {"action": "change_coach"})
    body = page.content.decode()
    assert body.count('class="audit-entry"') == 3
    harambee = Circle.objects.get(name="Harambee")
    body = admin_client.get(
        reverse("programme_audit", args=[programme.pk]), {"circle": harambee.pk}
    ).content.decode()
    assert "Puentes" not in body.split("<tbody>")[1]


def test_changing_the_coach_and_closing_a_circle(admin_client, programme):
    harambee = Circle.objects.get(name="Harambee")
    lucia = User.objects.get(username="lucia.coach")
    body = roster_post(admin_client, programme, harambee, "coach", coach=lucia.pk, reason="cover")
    assert "Lucía Fernández now coaches Harambee." in body
    body = roster_post(admin_client, programme, harambee, "close", reason="")
    assert "Fill in “Reason”." in body
    body = roster_post(admin_client, programme, harambee, "close", reason="merged")
    assert "Harambee is closed." in body
    assert not harambee.memberships.filter(left_at__isnull=True).exists()


def test_creating_a_circle(admin_client, programme):
    amani = User.objects.get(username="amani.coach")
    response = admin_client.post(
        reverse("programme_new_circle", args=[programme.pk]),
        {
            "name": "Sol",
            "language": "es",
            "capacity": 6,
            "coach": amani.pk,
            "meeting_weekday": 2,
            "meeting_time": "19:00",
            "meeting_minutes": 60,
            "meeting_timezone": "",
        },
    )
    assert response.status_code == 302
    circle = Circle.objects.get(name="Sol")
    assert (circle.capacity, circle.meeting_timezone) == (6, "Africa/Nairobi")
    response = admin_client.post(
        reverse("programme_new_circle", args=[programme.pk]),
        {
            "name": "Sol",
            "language": "es",
            "capacity": 6,
            "meeting_minutes": 60,
            "meeting_timezone": "Nowhere",
        },
    )
    assert response.status_code == 400
    assert "is not a time zone we know" in response.content.decode()
