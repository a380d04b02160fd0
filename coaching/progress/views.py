"""Progress pages: a member's own page, the coach's circle dashboard, the programme dashboard, concerns, CSVs.

Who sees what: a member their own progress; a coach the members of the circles they coach now; an admin
their programmes' numbers and the concerns that are theirs. Anyone else gets 404, as circles.access does.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from circles import access
from circles.models import Circle, Membership, Programme
from coaching.accounts.models import User
from coaching.accounts.requests import AuthenticatedRequest
from coaching.live.access import access_commitment
from coaching.live.forms import CloseCommitmentForm
from coaching.progress import concerns, exports, pages, selectors, services
from coaching.progress.access import access_concern, access_goal
from coaching.progress.errors import ProgressRuleError
from coaching.progress.forms import (
    CheckInForm,
    CommitmentForm,
    ConcernForm,
    ConcernReplyForm,
    GoalForm,
    KudosForm,
    ResolveForm,
)
from coaching.progress.models import Concern

# Access ---------------------------------------------------------------------------------------------


def _member_of_or_404(circle: Circle, user_id: int) -> User:
    seat = Membership.objects.members().filter(circle=circle, user_id=user_id).select_related("user").first()
    if seat is None:
        raise Http404
    return seat.user


def _form_errors(form: Any) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _circles(request: AuthenticatedRequest) -> list[tuple[int, str]]:
    seats = Membership.objects.members().filter(user=request.user).select_related("circle")
    return [(seat.circle_id, seat.circle.name) for seat in seats.order_by("circle__name")]


def _asynchronous(request: AuthenticatedRequest) -> bool:
    return isinstance(request, ASGIRequest)


# The member's page ----------------------------------------------------------------------------------


def _member_context(request: AuthenticatedRequest, member: User, *, own: bool) -> dict[str, Any]:
    progress = selectors.member_progress(member=member)
    peers = [(circle_id, person) for circle_id, people in progress.circle_peers.items() for person in people]
    circles = [(s.circle_id, s.circle.name) for s in progress.seats]
    return {
        "progress": progress,
        "own": own,
        "charts": pages.member_charts(progress, zone=request.user.zone),
        "goal_form": GoalForm(),
        "check_in_form": CheckInForm(),
        "commitment_form": CommitmentForm(circles=circles) if circles else None,
        "close_form": CloseCommitmentForm(),
        "kudos_form": KudosForm(peers=peers) if peers else None,
    }


def _refused(request: AuthenticatedRequest, **refused_form: Any) -> HttpResponse:
    """The member's page with one form as it was sent: open, what was typed kept, errors at their fields."""
    context = {**_member_context(request, request.user, own=True), **refused_form}
    return render(request, "progress/member.html", context, status=400)


@login_required
@require_GET
def mine(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in member's own progress: goals and check-ins, commitments, attendance, kudos, concerns."""
    return render(request, "progress/member.html", _member_context(request, request.user, own=True))


@login_required
@require_GET
def member(request: AuthenticatedRequest, circle_id: int, user_id: int) -> HttpResponse:
    """A member's progress as their coach sees it (read-only)."""
    circle = access.coached_circle(request.user, circle_id)
    person = _member_of_or_404(circle, user_id)
    context = _member_context(request, person, own=False)
    return render(request, "progress/member.html", {**context, "circle": circle})


def _back(anchor: str = "") -> HttpResponse:
    return redirect(f"{reverse('progress_mine')}{anchor}")


def _done(request: AuthenticatedRequest, ok: str, anchor: str) -> HttpResponse:
    messages.success(request, ok)
    return _back(anchor)


def _failed(request: AuthenticatedRequest, error: str, anchor: str) -> HttpResponse:
    messages.error(request, error)
    return _back(anchor)


@login_required
@require_POST
def goal_new(request: AuthenticatedRequest) -> HttpResponse:
    """Set a new goal."""
    form = GoalForm(request.POST)
    if not form.is_valid():
        return _refused(request, goal_form=form)
    try:
        goal = services.set_goal(member=request.user, **form.cleaned_data)
    except ProgressRuleError as error:
        form.refuse(error)
        return _refused(request, goal_form=form)
    return _done(request, _("Your goal “%(title)s” is set.") % {"title": goal.title}, "#goals")


@login_required
@require_POST
def check_in(request: AuthenticatedRequest, goal_id: int) -> HttpResponse:
    """Record (or change) this week's score for one goal."""
    goal = access_goal(request.user, goal_id)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _failed(request, _form_errors(form), f"#goal-{goal.pk}")
    try:
        services.check_in(member=request.user, goal=goal, **form.cleaned_data)
    except ProgressRuleError as error:
        return _failed(request, str(error), f"#goal-{goal.pk}")
    return _done(request, _("Checked in on “%(title)s”.") % {"title": goal.title}, f"#goal-{goal.pk}")


@login_required
@require_POST
def goal_close(request: AuthenticatedRequest, goal_id: int) -> HttpResponse:
    """Close a goal; its history stays."""
    goal = access_goal(request.user, goal_id)
    try:
        services.close_goal(member=request.user, goal=goal)
    except ProgressRuleError as error:
        return _failed(request, str(error), "#goals")
    return _done(request, _("“%(title)s” is closed.") % {"title": goal.title}, "#goals")


@login_required
@require_POST
def commitment_new(request: AuthenticatedRequest) -> HttpResponse:
    """Set a commitment of one's own."""
    form = CommitmentForm(request.POST, circles=_circles(request))
    if not form.is_valid():
        return _refused(request, commitment_form=form)
    circle = Circle.objects.get(pk=form.cleaned_data["circle"])
    try:
        services.set_commitment(
            member=request.user,
            circle=circle,
            text=form.cleaned_data["text"],
            due_on=form.cleaned_data["due_on"],
        )
    except ProgressRuleError as error:
        form.refuse(error)
        return _refused(request, commitment_form=form)
    return _done(request, _("Commitment added."), "#commitments")


@login_required
@require_POST
def commitment_close(request: AuthenticatedRequest, commitment_id: int) -> HttpResponse:
    """Close one's own commitment as done or dropped, with a note; refused, the page shows why, input kept."""
    commitment = access_commitment(request.user, commitment_id)
    form = CloseCommitmentForm(request.POST)
    if form.save(member=request.user, commitment=commitment):
        return _done(request, _("“%(text)s” is closed.") % {"text": commitment.text}, "#commitments")
    context = {
        **_member_context(request, request.user, own=True),
        "refused_close_id": commitment.pk,
        "refused_close_form": form,
    }
    return render(request, "progress/member.html", context, status=400)


@login_required
@require_POST
def kudos_new(request: AuthenticatedRequest) -> HttpResponse:
    """Thank another member of one's circle for something specific."""
    peers = [
        (seat.circle_id, seat.user)
        for seat in Membership.objects.members()
        .filter(circle_id__in=[c for c, _name in _circles(request)])
        .exclude(user=request.user)
        .select_related("user")
    ]
    form = KudosForm(request.POST, peers=peers)
    if not form.is_valid():
        return _refused(request, kudos_form=form)
    circle_id, person_id = form.chosen()
    receiver = next(person for c, person in peers if c == circle_id and person.pk == person_id)
    try:
        services.give_kudos(
            giver=request.user,
            receiver=receiver,
            circle=Circle.objects.get(pk=circle_id),
            contribution=form.cleaned_data["contribution"],
        )
    except ProgressRuleError as error:
        form.refuse(error)
        return _refused(request, kudos_form=form)
    return _done(request, _("Your thanks went to %(name)s.") % {"name": receiver.name}, "#kudos")


# Concerns -------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def concern_new(request: AuthenticatedRequest) -> HttpResponse:
    """Raise a concern to one's coach or to the programme admins."""
    circles = _circles(request)
    if not circles:
        raise Http404
    form = ConcernForm(request.POST or None, circles=circles, initial={"to": Concern.To.COACH})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern = concerns.raise_concern(
                member=request.user,
                circle=Circle.objects.get(pk=data["circle"]),
                to=data["to"],
                subject=data["subject"],
                text=data["text"],
            )
        except ProgressRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your concern is raised. You will see every answer here."))
            return redirect("progress_concern", concern.pk)
    hours = int(concerns.escalation_after().total_seconds() // 3600)
    return render(
        request,
        "progress/concern_new.html",
        {"form": form, "hours": hours},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def concern(request: AuthenticatedRequest, concern_id: int) -> HttpResponse:
    """A concern and its whole history, for the member who raised it and whoever handles it."""
    item = access_concern(request.user, concern_id)
    return render(
        request,
        "progress/concern.html",
        {
            "concern": item,
            "events": item.events.select_related("actor"),
            "is_member": item.member_id == request.user.pk,
            "may_handle": concerns.may_handle(user=request.user, concern=item),
            "reply_form": ConcernReplyForm(),
            "resolve_form": ResolveForm(),
        },
    )


def _concern_action(request: AuthenticatedRequest, concern_id: int, action: str) -> HttpResponse:
    item = access_concern(request.user, concern_id)
    form: ConcernReplyForm | ResolveForm = (
        ResolveForm(request.POST) if action == "resolve" else ConcernReplyForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("progress_concern", item.pk)
    try:
        if action == "answer":
            concerns.answer_concern(responder=request.user, concern=item, text=form.cleaned_data["text"])
            messages.success(request, _("Your answer is sent."))
        elif action == "follow_up":
            concerns.follow_up_concern(member=request.user, concern=item, text=form.cleaned_data["text"])
            messages.success(request, _("Your follow-up is sent."))
        else:
            concerns.resolve_concern(user=request.user, concern=item, note=form.cleaned_data["note"])
            messages.success(request, _("The concern is resolved; it stays on record."))
    except ProgressRuleError as error:
        messages.error(request, str(error))
    return redirect("progress_concern", item.pk)


@login_required
@require_POST
def concern_answer(request: AuthenticatedRequest, concern_id: int) -> HttpResponse:
    """The coach or an admin answers a concern."""
    return _concern_action(request, concern_id, "answer")


@login_required
@require_POST
def concern_follow_up(request: AuthenticatedRequest, concern_id: int) -> HttpResponse:
    """The member adds to their concern."""
    return _concern_action(request, concern_id, "follow_up")


@login_required
@require_POST
def concern_resolve(request: AuthenticatedRequest, concern_id: int) -> HttpResponse:
    """The member or the handler marks a concern resolved."""
    return _concern_action(request, concern_id, "resolve")


# The coach's circle dashboard -----------------------------------------------------------------------


@login_required
@require_GET
def circle(request: AuthenticatedRequest, circle_id: int) -> HttpResponse:
    """The coach's dashboard of one circle: a row per member, overdue commitments, quiet members, concerns."""
    item = access.coached_circle(request.user, circle_id)
    dashboard = selectors.circle_dashboard(circle=item, coach=request.user)
    responses = selectors.circle_response_times(circle=item, coach=request.user)
    return render(
        request,
        "progress/circle.html",
        {
            "circle": item,
            "dashboard": dashboard,
            **pages.circle_view(dashboard, responses=responses, zone=request.user.zone),
        },
    )


def _attendance_csv(request: AuthenticatedRequest, circles: Any, filename: str) -> StreamingHttpResponse:
    return exports.streamed_csv(
        filename=filename,
        header=exports.attendance_header(),
        rows=exports.attendance_rows(circles),
        asynchronous=_asynchronous(request),
    )


def _progress_csv(
    request: AuthenticatedRequest, circles: Any, filename: str, *, with_goal_titles: bool
) -> StreamingHttpResponse:
    return exports.streamed_csv(
        filename=filename,
        header=exports.progress_header(with_goal_titles=with_goal_titles),
        rows=exports.progress_rows(circles, with_goal_titles=with_goal_titles),
        asynchronous=_asynchronous(request),
    )


@login_required
@require_GET
def circle_attendance_csv(request: AuthenticatedRequest, circle_id: int) -> StreamingHttpResponse:
    """The circle's attendance as CSV, for its coach."""
    item = access.coached_circle(request.user, circle_id)
    return _attendance_csv(request, Circle.objects.filter(pk=item.pk), f"attendance-circle-{item.pk}.csv")


@login_required
@require_GET
def circle_progress_csv(request: AuthenticatedRequest, circle_id: int) -> StreamingHttpResponse:
    """The circle's check-ins (with goal titles) as CSV, for its coach."""
    item = access.coached_circle(request.user, circle_id)
    return _progress_csv(
        request, Circle.objects.filter(pk=item.pk), f"progress-circle-{item.pk}.csv", with_goal_titles=True
    )


# The programme dashboard ----------------------------------------------------------------------------


def _programme(request: AuthenticatedRequest, programme_id: int) -> Programme:
    return access.programme_for_admin(user=request.user, programme_id=programme_id)


@login_required
@require_GET
def programme(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """The programme's progress for its admins: numbers and rates, and the concerns that are theirs."""
    item = _programme(request, programme_id)
    dashboard = selectors.programme_dashboard(programme=item, admin=request.user)
    return render(
        request,
        "progress/programme.html",
        {"programme": item, "dashboard": dashboard, **pages.programme_view(dashboard)},
    )


@login_required
@require_GET
def programme_attendance_csv(request: AuthenticatedRequest, programme_id: int) -> StreamingHttpResponse:
    """Every circle's attendance as CSV, for the programme's admins."""
    item = _programme(request, programme_id)
    return _attendance_csv(request, item.circles.all(), f"attendance-programme-{item.pk}.csv")


@login_required
@require_GET
def programme_progress_csv(request: AuthenticatedRequest, programme_id: int) -> StreamingHttpResponse:
    """Every circle's check-in scores as CSV (no goal titles, no notes), for the programme's admins."""
    item = _programme(request, programme_id)
    return _progress_csv(
        request, item.circles.all(), f"progress-programme-{item.pk}.csv", with_goal_titles=False
    )
