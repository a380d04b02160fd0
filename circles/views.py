"""Pages of programmes (for their admins) and circles (for their members and coach).

Every view finds its objects through circles.access, so ids from elsewhere answer 404.
Dashboard actions answer htmx with the refreshed fragment and plain posts with a redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles import access, selectors, services
from circles.errors import CircleRuleError
from circles.forms import (
    AssignForm,
    AuditFilterForm,
    CharterForm,
    CircleForm,
    CloseForm,
    CoachForm,
    MoveForm,
    RemoveForm,
    UnassignedFilterForm,
)
from circles.models import Circle, Membership, Programme
from coaching.accounts.requests import AuthenticatedRequest
from coaching.lib.answers import same_site_next


def _form_error(form: Any) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@login_required
def programme_list(request: AuthenticatedRequest) -> HttpResponse:
    """The programmes this person runs."""
    programmes = access.administered_programmes(user=request.user).order_by("name")
    return render(request, "circles/programme_list.html", {"programmes": programmes})


def _dashboard_context(request: AuthenticatedRequest, programme: Programme) -> dict[str, Any]:
    filters = UnassignedFilterForm(request.GET or None, programme=programme)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    people = selectors.unassigned_members(
        programme=programme,
        language=chosen.get("language", ""),
        band=chosen.get("band", ""),
        focus=chosen.get("focus", ""),
    )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return {
        "programme": programme,
        "rows": selectors.programme_circles(programme=programme, zone=request.user.zone),
        "counts": selectors.programme_counts(programme=programme),
        "filters": filters,
        "page": page,
        "assign_form": AssignForm(programme=programme),
        "query": request.GET.urlencode(),
    }


@login_required
def programme_dashboard(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """A programme at a glance: its circles, the people still to place, and the actions on them."""
    programme = access.programme_for_admin(user=request.user, programme_id=programme_id)
    context = _dashboard_context(request, programme)
    if request.htmx:
        return render(request, "circles/_dashboard_body.html", context)
    return render(request, "circles/dashboard.html", context)


def _after_action(
    request: AuthenticatedRequest,
    *,
    ok: str | None,
    error: str | None,
    partial: str,
    context: dict[str, Any],
    url: str,
) -> HttpResponse:
    if request.htmx:
        return render(request, partial, {**context, "ok": ok, "error": error})
    if ok:
        messages.success(request, ok)
    if error:
        messages.error(request, error)
    return redirect(url)


@login_required
@require_POST
def assign(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """Give an unassigned member a seat in a circle."""
    programme = access.programme_for_admin(user=request.user, programme_id=programme_id)
    form = AssignForm(request.POST, programme=programme)
    ok = error = None
    if form.is_valid():
        person, circle = form.cleaned_data["person"], form.cleaned_data["circle"]
        try:
            services.assign_member(
                actor=request.user, circle=circle, member=person, reason=form.cleaned_data["reason"]
            )
            ok = _("%(person)s now sits in %(circle)s.") % {"person": person.name, "circle": circle.name}
        except CircleRuleError as exc:
            error = str(exc)
    else:
        error = _form_error(form)
    url = reverse("programme_dashboard", args=[programme.pk])
    return _after_action(
        request,
        ok=ok,
        error=error,
        partial="circles/_dashboard_body.html",
        context=_dashboard_context(request, programme) if request.htmx else {},
        url=url,
    )


@login_required
def new_circle(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """Create a circle in the programme."""
    programme = access.programme_for_admin(user=request.user, programme_id=programme_id)
    form = CircleForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            circle = services.create_circle(
                actor=request.user,
                programme=programme,
                name=data["name"],
                language=data["language"],
                capacity=data["capacity"],
                coach=data["coach"],
                meeting_weekday=data["meeting_weekday"],
                meeting_time=data["meeting_time"],
                meeting_minutes=data["meeting_minutes"],
                meeting_timezone=data["meeting_timezone"] or None,
            )
        except CircleRuleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(circle)s is created.") % {"circle": circle.name})
            return redirect("programme_roster", programme.pk, circle.pk)
    return render(
        request,
        "circles/new_circle.html",
        {"programme": programme, "form": form},
        status=400 if form.errors else 200,
    )


def _roster_context(request: AuthenticatedRequest, programme: Programme, circle: Circle) -> dict[str, Any]:
    coach, members = selectors.circle_people(circle=circle)
    return {
        "programme": programme,
        "circle": circle,
        "coach": coach,
        "members": members,
        "window": selectors.meeting_window(circle, zone=request.user.zone, now=timezone.now()),
        "move_form": MoveForm(circle=circle),
        "coach_form": CoachForm(programme=programme),
        "close_form": CloseForm(),
        "other_circles": programme.circles.exclude(pk=circle.pk)
        .exclude(status=Circle.Status.CLOSED)
        .order_by("name"),
        "audit": selectors.audit_entries(programme=programme, circle_id=circle.pk)[:20],
    }


@login_required
def roster(request: AuthenticatedRequest, programme_id: int, circle_id: int) -> HttpResponse:
    """Who sits in a circle (names and places, never its messages), with move, remove and coach actions."""
    programme = access.programme_for_admin(user=request.user, programme_id=programme_id)
    circle = access.circle_for_admin(user=request.user, programme=programme, circle_id=circle_id)
    return render(request, "circles/roster.html", _roster_context(request, programme, circle))


def _roster_action(
    request: AuthenticatedRequest, programme_id: int, circle_id: int, act: Any
) -> HttpResponse:
    programme = access.programme_for_admin(user=request.user, programme_id=programme_id)
    circle = access.circle_for_admin(user=request.user, programme=programme, circle_id=circle_id)
    ok = error = None
    try:
        ok = act(programme, circle)
    except CircleRuleError as exc:
        error = str(exc)
    except _InvalidForm as exc:
        error = str(exc)
    circle.refresh_from_db()
    context = _roster_context(request, programme, circle) if request.htmx else {}
    return _after_action(
        request,
        ok=ok,
        error=error,
        partial="circles/_roster_body.html",
        context=context,
        url=reverse("programme_roster", args=[programme.pk, circle.pk]),
    )


class _InvalidForm(Exception):
    pass


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise _InvalidForm(_form_error(form))
    data: dict[str, Any] = form.cleaned_data
    return data


@login_required
@require_POST
def move(request: AuthenticatedRequest, programme_id: int, circle_id: int) -> HttpResponse:
    """Move a member from this circle to another."""

    def act(programme: Programme, circle: Circle) -> str:
        data = _valid(MoveForm(request.POST, circle=circle))
        services.move_member(
            actor=request.user,
            member=data["person"],
            from_circle=circle,
            to_circle=data["to_circle"],
            reason=data["reason"],
        )
        return _("%(person)s moved to %(circle)s.") % {
            "person": data["person"].name,
            "circle": data["to_circle"].name,
        }

    return _roster_action(request, programme_id, circle_id, act)


@login_required
@require_POST
def remove(request: AuthenticatedRequest, programme_id: int, circle_id: int) -> HttpResponse:
    """Take a member out of this circle."""

    def act(programme: Programme, circle: Circle) -> str:
        data = _valid(RemoveForm(request.POST, circle=circle))
        services.remove_member(
            actor=request.user, circle=circle, member=data["person"], reason=data["reason"]
        )
        return _("%(person)s left %(circle)s.") % {"person": data["person"].name, "circle": circle.name}

    return _roster_action(request, programme_id, circle_id, act)


@login_required
@require_POST
def coach(request: AuthenticatedRequest, programme_id: int, circle_id: int) -> HttpResponse:
    """Give the circle a new coach."""

    def act(programme: Programme, circle: Circle) -> str:
        data = _valid(CoachForm(request.POST, programme=programme))
        services.change_coach(actor=request.user, circle=circle, coach=data["coach"], reason=data["reason"])
        return _("%(person)s now coaches %(circle)s.") % {"person": data["coach"].name, "circle": circle.name}

    return _roster_action(request, programme_id, circle_id, act)


@login_required
@require_POST
def close(request: AuthenticatedRequest, programme_id: int, circle_id: int) -> HttpResponse:
    """Close the circle; everyone's seat ends."""

    def act(programme: Programme, circle: Circle) -> str:
        data = _valid(CloseForm(request.POST))
        services.close_circle(actor=request.user, circle=circle, reason=data["reason"])
        return _("%(circle)s is closed.") % {"circle": circle.name}

    return _roster_action(request, programme_id, circle_id, act)


@login_required
def audit(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """The programme's assignment audit, filterable, newest first."""
    programme = access.programme_for_admin(user=request.user, programme_id=programme_id)
    filters = AuditFilterForm(request.GET or None, programme=programme)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    circle = chosen.get("circle")
    entries = selectors.audit_entries(
        programme=programme,
        action=chosen.get("action", ""),
        person=chosen.get("person", ""),
        circle_id=circle.pk if circle else None,
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "circles/audit.html",
        {"programme": programme, "filters": filters, "page": page, "query": query.urlencode()},
    )


@login_required
def circle_page(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """A circle for its members and coach; a member first accepts the charter."""
    seat = access.seat_or_404(user=request.user, circle_id=circle_id)
    circle = seat.circle
    if seat.role == Membership.Role.MEMBER and seat.charter_accepted_at is None:
        return render(request, "circles/charter.html", {"circle": circle})
    coach_person, members = selectors.circle_people(circle=circle)
    return render(
        request,
        "circles/circle.html",
        {
            "circle": circle,
            "seat": seat,
            "coach": coach_person,
            "members": members,
            "window": selectors.meeting_window(circle, zone=request.user.zone, now=timezone.now()),
            "charter_form": CharterForm(initial={"charter": circle.charter})
            if seat.role == Membership.Role.COACH
            else None,
        },
    )


@login_required
@require_POST
def accept_charter(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """Record the member's acceptance of the charter, then open the circle (or a same-site `next`)."""
    seat = access.seat_or_404(user=request.user, circle_id=circle_id)
    services.accept_charter(user=request.user, circle=seat.circle)
    return redirect(same_site_next(request) or reverse("circle", args=[seat.circle_id]))


@login_required
@require_POST
def edit_charter(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """Save the coach's new charter text."""
    seat = access.seat_or_404(user=request.user, circle_id=circle_id)
    if seat.role != Membership.Role.COACH:
        raise PermissionDenied
    form = CharterForm(request.POST)
    try:
        if not form.is_valid():
            raise _InvalidForm(_form_error(form))
        services.update_charter(actor=request.user, circle=seat.circle, text=form.cleaned_data["charter"])
    except (CircleRuleError, _InvalidForm) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The charter is saved."))
    return redirect("circle", seat.circle_id)
