"""Background jobs of matching: run the engine for a proposal, and tell people about published circles.

A proposal moves running → ready | failed, its `stage` and `progress` updated at each step so the
page that polls it shows where it is. Every write is conditional on the proposal still running, so
a repeated task, or a proposal dropped meanwhile, is left alone.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from circles.models import Circle, MatchProposal, Membership
from circles.selectors import meeting_window
from coaching.accounts.models import Notice, User
from coaching.matching import engine, problems

logger = logging.getLogger(__name__)
Stage = MatchProposal.Stage
Status = MatchProposal.Status
PROGRESS: dict[str, int] = {
    Stage.LOADING: 10,
    Stage.SCORING: 30,
    Stage.SOLVING: 50,
    Stage.FORMING: 85,
    Stage.READY: 100,
}


def _advance(proposal_id: int, stage: str, **fields: object) -> bool:
    """Record the next stage; False when the proposal is no longer running (dropped meanwhile)."""
    return bool(
        MatchProposal.objects.filter(pk=proposal_id, status=Status.RUNNING).update(
            stage=stage, progress=PROGRESS[stage], **fields
        )
    )


def _compute(proposal_id: int) -> None:
    # Claiming the queued proposal makes a repeated task a no-op.
    claimed = MatchProposal.objects.filter(pk=proposal_id, status=Status.RUNNING, stage=Stage.QUEUED).update(
        stage=Stage.LOADING, progress=PROGRESS[Stage.LOADING]
    )
    if not claimed:
        return
    proposal = MatchProposal.objects.select_related("programme").get(pk=proposal_id)
    programme = proposal.programme
    built = problems.build_problem(programme=programme, on=problems.reference_date(programme=programme))
    if not _advance(proposal_id, Stage.SCORING, problem=built.problem):
        return
    # The engine has no progress hook: scoring is its validation of the problem, solving the rest.
    problem = engine.parse_problem(built.problem)
    if not _advance(proposal_id, Stage.SOLVING):
        return
    solution = engine.solve(problem).as_json()
    if not _advance(proposal_id, Stage.FORMING):
        return
    arranged = problems.arrange(problem=built.problem, solution=solution, left_out=built.left_out)
    MatchProposal.objects.filter(pk=proposal_id, status=Status.RUNNING).update(
        status=Status.READY, stage=Stage.READY, progress=PROGRESS[Stage.READY], solution=arranged
    )


@db_task()
def run_proposal(proposal_id: int) -> None:
    """Build the programme's problem, run the engine, store its solution; any error fails the proposal."""
    try:
        _compute(proposal_id)
    except Exception as error:
        logger.exception("Matching proposal %s failed", proposal_id)
        # The engine's ProblemError is one clear line naming the record; other errors get their kind.
        detail = str(error) if isinstance(error, engine.ProblemError) else type(error).__name__
        MatchProposal.objects.filter(pk=proposal_id, status=Status.RUNNING).update(
            status=Status.FAILED, error=detail[:1000]
        )


def _member_message(
    *, user: User, circle: Circle, coach: User | None, link: str, now: dt.datetime
) -> EmailMessage:
    window = meeting_window(circle, zone=user.zone, now=now)
    lines = [
        _("Hello %(name)s,") % {"name": user.name},
        _("You have a circle in %(programme)s: %(circle)s, with %(coach)s as your coach.")
        % {"programme": circle.programme.name, "circle": circle.name, "coach": coach.name if coach else "—"},
    ]
    if window:
        lines.append(_("It meets every week: %(window)s, your time.") % {"window": window})
    lines += [_("Meet your circle and accept its charter here:"), link]
    subject = _("Your circle in %(programme)s: %(circle)s") % {
        "programme": circle.programme.name,
        "circle": circle.name,
    }
    return EmailMessage(subject=subject, body="\n\n".join(lines), to=[user.email])


def _coach_message(*, user: User, circles: list[Circle], links: list[str], now: dt.datetime) -> EmailMessage:
    programme = circles[0].programme.name
    lines = [
        _("Hello %(name)s,") % {"name": user.name},
        _("You coach new circles in %(programme)s:") % {"programme": programme},
    ]
    for circle, link in zip(circles, links, strict=True):
        window = meeting_window(circle, zone=user.zone, now=now)
        lines.append(f"{circle.name} ({window}): {link}" if window else f"{circle.name}: {link}")
    subject = _("New circles to coach in %(programme)s") % {"programme": programme}
    return EmailMessage(subject=subject, body="\n\n".join(lines), to=[user.email])


@db_task()
def notify_published(proposal_id: int, base_url: str) -> None:
    """Tell each person of a published proposal's circles: one email each, and a notice per circle."""
    proposal = MatchProposal.objects.get(pk=proposal_id)
    circle_ids = list(proposal.solution.get("published", {}).values())
    circles = {c.pk: c for c in Circle.objects.filter(pk__in=circle_ids).select_related("programme")}
    seats = (
        Membership.objects.current()
        .filter(circle_id__in=circle_ids)
        .select_related("user")
        .order_by("circle_id", "pk")
    )
    coach_of = {seat.circle_id: seat.user for seat in seats if seat.role == Membership.Role.COACH}
    coached: dict[int, list[Circle]] = {}
    now = timezone.now()
    messages, notices = [], []
    for seat in seats:
        circle, user = circles[seat.circle_id], seat.user
        path = reverse("circle", args=[circle.pk])
        link = base_url.rstrip("/") + path
        # Each person reads in their own language and sees times on their own clock.
        with translation.override(user.ui_language):
            if seat.role == Membership.Role.COACH:
                coached.setdefault(user.pk, []).append(circle)
                text = _("You coach a new circle: %(circle)s.") % {"circle": circle.name}
            else:
                messages.append(
                    _member_message(
                        user=user, circle=circle, coach=coach_of.get(circle.pk), link=link, now=now
                    )
                )
                text = _("You have a circle: %(circle)s. Meet them and accept the charter.") % {
                    "circle": circle.name
                }
        notices.append(Notice(user=user, text=text[:300], url=path))
    for coach in {seat.user.pk: seat.user for seat in seats if seat.role == Membership.Role.COACH}.values():
        own = coached[coach.pk]
        links = [base_url.rstrip("/") + reverse("circle", args=[c.pk]) for c in own]
        with translation.override(coach.ui_language):
            messages.append(_coach_message(user=coach, circles=own, links=links, now=now))
    Notice.objects.bulk_create(notices)
    with get_connection() as connection:
        connection.send_messages([m for m in messages if m.to and m.to[0]])
