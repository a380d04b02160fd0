"""Who may reach a live session or a commitment: one function per object, a 404 (NoAccess) for anyone else."""

from __future__ import annotations

from circles.access import access_circle, is_coach_of
from coaching.accounts.models import User
from coaching.lib.errors import NoAccess
from coaching.live.models import Commitment, LiveSession


def access_session(user: User, session_id: int, *, coach: bool = False) -> LiveSession:
    """The session (its circle loaded) for the people its circle admits, or its coach alone with `coach`.

    NoAccess otherwise: 4401 signed out, 4403 not admitted (or not the coach), 4404 no such session.
    """
    if not user.is_authenticated or not user.is_active:
        raise NoAccess(4401)
    session = LiveSession.objects.select_related("circle").filter(pk=session_id).first()
    if session is None:
        raise NoAccess(4404)
    access_circle(user, session.circle_id)
    if coach and not is_coach_of(user=user, circle_id=session.circle_id):
        raise NoAccess(4403)
    return session


def access_commitment(user: User, commitment_id: int) -> Commitment:
    """The commitment, for the member who made it only; NoAccess (a 404) otherwise, coaches included."""
    commitment = Commitment.objects.filter(pk=commitment_id, member_id=user.pk).first()
    if commitment is None:
        raise NoAccess(4404)
    return commitment
