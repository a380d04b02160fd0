"""The first run of an invited person, step by step: profile, the circle's charter, meet the circle,
notification choices; then their circle (or the home page, which says what happens next).

Each step is a page of its own and asks the apps' own rules (the profile form, circles' charter acceptance,
the notification preferences), so leaving half way loses nothing and a step already done is passed over.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from circles.access import current_seat, is_admitted
from circles.invitations import FIRST_RUN_PROGRAMME, landing_circle_id
from circles.models import Membership, Programme
from circles.people import person_card
from circles.selectors import circle_people
from coaching.accounts.forms import ProfileForm
from coaching.accounts.requests import AuthenticatedRequest

STEPS = [
    ("profile", gettext_lazy("Your profile")),
    ("charter", gettext_lazy("The charter")),
    ("people", gettext_lazy("Meet your circle")),
    ("notifications", gettext_lazy("Notifications")),
]


def _seat(request: AuthenticatedRequest) -> Membership | None:
    """The seat the person lands in: their first current circle (in the inviting programme), if any yet."""
    programme_id = request.session.get(FIRST_RUN_PROGRAMME)
    programme = Programme.objects.filter(pk=programme_id).first() if programme_id else None
    circle_id = landing_circle_id(user=request.user, programme=programme)
    return current_seat(user=request.user, circle_id=circle_id) if circle_id is not None else None


def _page(
    request: AuthenticatedRequest, step: str, context: dict[str, object], status: int = 200
) -> HttpResponse:
    steps = [{"key": key, "label": label, "current": key == step} for key, label in STEPS]
    return render(request, f"coaching/first_run/{step}.html", {"steps": steps, **context}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedRequest) -> HttpResponse:
    """Step 1: what a circle needs to know (name, zone, languages; a photo if they like)."""
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user, first_run=True)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("first_run_charter")
    return _page(request, "profile", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def charter(request: AuthenticatedRequest) -> HttpResponse:
    """Step 2: the circle's charter, accepted through circles' own form; passed over when none waits."""
    seat = _seat(request)
    if seat is None or is_admitted(seat):
        return redirect("first_run_people")
    return _page(request, "charter", {"circle": seat.circle, "next": reverse("first_run_people")})


@login_required
@require_GET
def people(request: AuthenticatedRequest) -> HttpResponse:
    """Step 3: the cards of the people in the circle; passed over before a circle or its charter."""
    seat = _seat(request)
    if seat is None:
        return redirect("first_run_notifications")
    if not is_admitted(seat):
        return redirect("first_run_charter")
    coach, members = circle_people(circle=seat.circle)
    everyone = [person.user for person in ([coach] if coach else []) + members if person.user != request.user]
    cards = [person_card(person=person) for person in everyone]
    return _page(request, "people", {"circle": seat.circle, "cards": cards})


@login_required
@require_GET
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    """Step 4: the notification choices (saved by notifications' own view, which comes back to `done`)."""
    return _page(request, "notifications", {"preferences_next": reverse("first_run_done")})


@login_required
@require_GET
def done(request: AuthenticatedRequest) -> HttpResponse:
    """The end: the circle when there is one to open, else the home page saying what comes next."""
    seat = _seat(request)
    if seat is not None:  # the circle page asks for the charter first if it is still to accept
        messages.success(request, _("You are all set. Say hello to your circle!"))
        return redirect("circle", seat.circle_id)
    return redirect("home")
