"""Who may be in a live session's room: the people of its circle's chat room (chat.access), no one else."""

from __future__ import annotations

from chat.access import check_circle
from coaching.accounts.models import User
from coaching.lib.errors import NoAccess
from coaching.live.models import LiveSession


def access_session(user: User, session_id: int) -> LiveSession:
    """The session (its circle loaded) for its circle's coach and admitted members; NoAccess otherwise."""
    if not user.is_authenticated or not user.is_active:
        raise NoAccess(4401)
    session = LiveSession.objects.select_related("circle").filter(pk=session_id).first()
    if session is None:
        raise NoAccess(4404)
    check_circle(user, session.circle_id)
    return session
