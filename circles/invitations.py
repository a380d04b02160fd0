"""Invitations: a single-use, expiring link by email that lets a new person choose their password.

Only the SHA-256 of a token is stored, so a leaked database cannot be used to sign in.
Links are absolute: the caller passes the site's base URL as the request that started the work saw
it (`request.build_absolute_uri("/")`, which Django checks against ALLOWED_HOSTS); without one, the
first concrete ALLOWED_HOSTS entry is used, over https unless settings.HTTPS is off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from circles.models import Invitation, Membership, Programme
from coaching.accounts.models import User

INVITATION_DAYS = 7
# The session key naming the programme whose invitation started the first run (its circle comes first).
FIRST_RUN_PROGRAMME = "first_run_programme"
SEND_BATCH = 500


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def site_base_url() -> str:
    """The site's address when no request is at hand: the first concrete ALLOWED_HOSTS entry."""
    host = next((h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")), "localhost")
    scheme = "https" if getattr(settings, "HTTPS", not settings.DEBUG) else "http"
    return f"{scheme}://{host}/"


def _new_invitation(*, user: User, programme: Programme | None, now: dt.datetime) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user=user,
        programme=programme,
        token_hash=token_hash(token),
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    return invitation, token


def _message(*, invitation: Invitation, token: str, base_url: str) -> EmailMessage:
    user, programme = invitation.user, invitation.programme
    link = base_url.rstrip("/") + reverse("invitation", args=[token])
    with translation.override(user.ui_language):
        place = programme.name if programme is not None else _("Circles")
        # The last day is shown on the person's own calendar, in their language.
        last_day = formats.date_format(timezone.localtime(invitation.expires_at, user.zone), "DATE_FORMAT")
        subject = _("You are invited to %(programme)s") % {"programme": place}
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": user.name},
                _("%(programme)s has invited you to Circles, where you will meet your circle and your coach.")
                % {"programme": place},
                _("Choose your password here to sign in for the first time:"),
                link,
                _("The link works once, until %(date)s.") % {"date": last_day},
                _("Your username is %(username)s.") % {"username": user.username},
                _("If you did not expect this email, you can ignore it."),
            ]
        )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def invite(*, user: User, programme: Programme | None, base_url: str | None = None) -> str:
    """Create an invitation for this person and email them its link; returns the token (never stored)."""
    invitation, token = _new_invitation(user=user, programme=programme, now=timezone.now())
    invitation.save()
    _message(invitation=invitation, token=token, base_url=base_url or site_base_url()).send()
    return token


def invite_many(*, users: Sequence[User], programme: Programme, base_url: str | None = None) -> int:
    """Invite many people at once over one mail connection; returns how many emails were sent."""
    base_url = base_url or site_base_url()
    now = timezone.now()
    sent = 0
    with get_connection() as connection:
        for start in range(0, len(users), SEND_BATCH):
            batch = [
                _new_invitation(user=user, programme=programme, now=now)
                for user in users[start : start + SEND_BATCH]
            ]
            Invitation.objects.bulk_create([invitation for invitation, _token in batch])
            messages = [
                _message(invitation=invitation, token=token, base_url=base_url) for invitation, token in batch
            ]
            sent += connection.send_messages(messages) or 0
    return sent


def find_invitation(token: str) -> Invitation | None:
    """The invitation this token belongs to (used or not), or None for a token we never issued."""
    return Invitation.objects.select_related("user", "programme").filter(token_hash=token_hash(token)).first()


def still_works(invitation: Invitation, *, now: dt.datetime | None = None) -> bool:
    """Whether a link can still be used: not used, not expired, and its account is active."""
    now = now or timezone.now()
    return invitation.used_at is None and invitation.expires_at > now and invitation.user.is_active


@transaction.atomic
def choose_password(*, invitation: Invitation, form: SetPasswordForm) -> bool:
    """Save the valid password form and use the invitation up; False (nothing saved) if it no longer works."""
    locked = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    now = timezone.now()
    if not still_works(locked, now=now):
        return False
    form.save()
    # Once a password is chosen, every earlier link of this person must stop working too.
    Invitation.objects.filter(user=locked.user, used_at__isnull=True).update(used_at=now)
    return True


def landing_circle_id(*, user: User, programme: Programme | None) -> int | None:
    """The circle a newly signed-in person should see first: their active seat, in this programme if any."""
    seats = Membership.objects.current().filter(user=user).order_by("joined_at", "pk")
    if programme is not None:
        seat = seats.filter(circle__programme=programme).first()
        if seat is not None:
            return seat.circle_id
    seat = seats.first()
    return seat.circle_id if seat is not None else None
