"""Django's own form messages reach Spanish readers as the rest of the site speaks to them: with "tú".

Django's Spanish catalogue says "usted" ("Asegúrese…", "Escoja…"); ours, which Django reads first,
overrides the messages our forms can show (coaching/lib/django_messages.py lists them).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from circles.models import Circle, Programme
from coaching.accounts.models import User

pytestmark = pytest.mark.django_db

FORMAL = ("Asegúrese", "Escoja", "Introduzca", "Ingrese", "usted")


@pytest.fixture
def spanish_admin(client, demo):
    ana = User.objects.get(username="ana.admin")
    ana.ui_language = "es"
    ana.save(update_fields=["ui_language"])
    client.force_login(ana)
    return client


def test_a_new_circle_out_of_bounds_is_refused_in_tu(spanish_admin, demo):
    programme = Programme.objects.get(pk=demo["programme"]["id"])
    response = spanish_admin.post(
        reverse("programme_new_circle", args=[programme.pk]),
        {"name": "Sol", "language": "es", "capacity": 51, "meeting_minutes": 10, "meeting_timezone": ""},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Escribe un valor menor o igual que 50." in page  # the seats
    assert "Escribe un valor mayor o igual que 15." in page  # the meeting's length
    assert not [word for word in FORMAL if word in page]
    assert not Circle.objects.filter(name="Sol").exists()


def test_a_choice_gone_meanwhile_is_refused_in_tu(spanish_admin, demo):
    # Another admin closed the circle while this dashboard was open: the choice is no longer offered.
    programme = Programme.objects.get(pk=demo["programme"]["id"])
    gone = Circle.objects.get(name="Horizonte")
    Circle.objects.filter(pk=gone.pk).update(status=Circle.Status.CLOSED)
    aisha = User.objects.get(username="aisha")
    response = spanish_admin.post(
        reverse("programme_assign", args=[programme.pk]),
        {"person": aisha.pk, "circle": gone.pk, "reason": ""},
        follow=True,
    )
    page = response.content.decode()
    assert "Elige una opción válida. Esa opción no está entre las disponibles." in page
    assert not [word for word in FORMAL if word in page]
