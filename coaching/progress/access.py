"""Who may reach a goal or a concern: one function per object, a 404 for anyone else."""

from __future__ import annotations

from django.http import Http404

from coaching.accounts.models import User
from coaching.progress import concerns
from coaching.progress.models import Concern, Goal


def access_goal(user: User, goal_id: int) -> Goal:
    """The goal, for the member who set it only; Http404 otherwise (their coach reads it on dashboards)."""
    goal = Goal.objects.filter(pk=goal_id, member_id=user.pk).first()
    if goal is None:
        raise Http404
    return goal


def access_concern(user: User, concern_id: int) -> Concern:
    """The concern (its relations loaded) for the people `concerns.may_see` admits; Http404 otherwise."""
    concern = (
        Concern.objects.select_related("programme", "circle", "member", "coach").filter(pk=concern_id).first()
    )
    if concern is None or not concerns.may_see(user=user, concern=concern):
        raise Http404
    return concern
