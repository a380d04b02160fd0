"""Pages of matching: a programme admin's proposals (propose, review, move, drop, re-run, publish), and
a member's coach preferences.

Proposal pages find the programme through circles.access (404 for anyone but its admins) and the
proposal within that programme (404 for another programme's). Moves answer htmx with the refreshed
proposal and plain posts with a redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from circles.access import programme_for_admin
from circles.errors import CircleRuleError
from circles.models import MatchProposal
from circles.selectors import unassigned_members
from coaching.accounts.requests import AuthenticatedRequest
from coaching.matching import preferences, problems, proposals
from coaching.matching.forms import coach_preference_form

COACHES_PER_PAGE = 20


def _proposal(request: AuthenticatedRequest, programme_id: int, proposal_id: int) -> MatchProposal:
    programme = programme_for_admin(user=request.user, programme_id=programme_id)
    return get_object_or_404(
        MatchProposal.objects.select_related("programme", "created_by"), pk=proposal_id, programme=programme
    )


@login_required
@require_http_methods(["GET", "POST"])
def propose(request: AuthenticatedRequest, programme_id: int) -> HttpResponse:
    """Who is waiting and which coaches have room; a post starts a new proposal in the worker."""
    programme = programme_for_admin(user=request.user, programme_id=programme_id)
    if request.method == "POST":
        try:
            proposal = proposals.start_proposal(programme=programme, actor=request.user)
        except CircleRuleError as exc:
            messages.info(request, str(exc))
            return redirect("programme_matching", programme_id=programme.pk)
        return redirect("matching_proposal", programme_id=programme.pk, proposal_id=proposal.pk)
    coaches = problems.coach_seats(programme=programme)
    return render(
        request,
        "matching/propose.html",
        {
            "programme": programme,
            "waiting": len(unassigned_members(programme=programme)),
            "coaches": coaches,
            "open_seats": sum(seats.free for seats in coaches),
            "proposals": proposals.recent_proposals(programme=programme),
        },
    )


def _proposal_context(request: AuthenticatedRequest, proposal: MatchProposal, **extra: Any) -> dict[str, Any]:
    review = proposals.review(proposal=proposal, zone=request.user.timezone)
    # A large programme has hundreds of coaches: their groups come a page at a time.
    groups = Paginator(review.groups if review else [], COACHES_PER_PAGE).get_page(request.GET.get("page"))
    return {
        "programme": proposal.programme,
        "proposal": proposal,
        "review": review,
        "groups": groups,
        "page_number": groups.number,
        **extra,
    }


@login_required
@require_http_methods(["GET"])
def proposal_page(request: AuthenticatedRequest, programme_id: int, proposal_id: int) -> HttpResponse:
    """A proposal: its progress while the engine runs (htmx polls the body), then the circles to review."""
    proposal = _proposal(request, programme_id, proposal_id)
    template = "matching/_proposal_body.html" if request.htmx else "matching/proposal.html"
    return render(request, template, _proposal_context(request, proposal))


@login_required
@require_http_methods(["GET", "POST"])
def move(request: AuthenticatedRequest, programme_id: int, proposal_id: int) -> HttpResponse:
    """A get offers the circles a member could move to; a post moves them, or first shows what would break.

    A move that makes a circle break a rule answers with those issues and a confirm button (in place
    with htmx, as a page without); the confirmed post carries the preview's token.
    """
    proposal = _proposal(request, programme_id, proposal_id)
    if request.method == "GET":
        choice = proposals.move_choice(proposal=proposal, member_id=request.GET.get("member", "").strip())
        context = {
            "programme": proposal.programme,
            "proposal": proposal,
            "choice": choice,
            "page_number": request.GET.get("page", "1"),
        }
        template = "matching/_proposal_move_form.html" if request.htmx else "matching/proposal_move.html"
        # htmx swaps only successful answers, so a stale member gets its message with a 200 there.
        return render(request, template, context, status=200 if choice or request.htmx else 404)
    ok = error = None
    preview: proposals.MovePreview | None = None
    try:
        ok = proposals.move_in_proposal(
            proposal=proposal,
            member_id=request.POST.get("member", "").strip(),
            to_circle=request.POST.get("to_circle", "").strip(),
            confirm=request.POST.get("confirm", "").strip(),
        )
    except proposals.MoveNeedsConfirmation as exc:
        preview = exc.preview
    except CircleRuleError as exc:
        error = str(exc)
    proposal.refresh_from_db()
    if preview and not request.htmx:
        # Without htmx the confirmation is a page of its own: what would break, then confirm or go back.
        confirm_page: dict[str, Any] = {
            "programme": proposal.programme,
            "proposal": proposal,
            "preview": preview,
            "page_number": request.GET.get("page", "1"),
        }
        return render(request, "matching/proposal_move.html", confirm_page)
    if request.htmx:
        # 200 even when refused: htmx swaps only successful responses, and the refusal is in the body.
        context = _proposal_context(request, proposal, ok=ok, error=error, preview=preview)
        return render(request, "matching/_proposal_body.html", context)
    if ok:
        messages.success(request, ok)
    if error:
        messages.error(request, error)
    url = reverse("matching_proposal", args=[proposal.programme_id, proposal.pk])
    page = request.GET.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@login_required
@require_POST
def drop(request: AuthenticatedRequest, programme_id: int, proposal_id: int) -> HttpResponse:
    """Set the proposal aside; nothing is published."""
    proposal = _proposal(request, programme_id, proposal_id)
    if proposals.drop_proposal(proposal=proposal):
        messages.success(request, _("The proposal is dropped; nothing was published."))
    else:
        messages.info(request, _("This proposal was already published or dropped, so nothing changed."))
    return redirect("programme_matching", programme_id=proposal.programme_id)


@login_required
@require_POST
def rerun(request: AuthenticatedRequest, programme_id: int, proposal_id: int) -> HttpResponse:
    """Drop the proposal and run the engine again on the programme as it is now."""
    proposal = _proposal(request, programme_id, proposal_id)
    try:
        fresh = proposals.rerun_proposal(proposal=proposal, actor=request.user)
    except CircleRuleError as exc:
        messages.info(request, str(exc))
        return redirect("matching_proposal", programme_id=proposal.programme_id, proposal_id=proposal.pk)
    return redirect("matching_proposal", programme_id=proposal.programme_id, proposal_id=fresh.pk)


@login_required
@require_POST
def publish(request: AuthenticatedRequest, programme_id: int, proposal_id: int) -> HttpResponse:
    """Create the proposal's circles and seats, all or nothing, once any warnings are confirmed.

    A second click does nothing more; a refusal (warnings not confirmed, a seat taken meanwhile) is a
    message on the proposal page, which lists the warnings with the confirmation box.
    """
    proposal = _proposal(request, programme_id, proposal_id)
    try:
        published = proposals.publish_proposal(
            proposal=proposal, actor=request.user, confirm=request.POST.get("confirm", "").strip()
        )
    except CircleRuleError as exc:
        messages.error(request, str(exc))
    else:
        if published.already:
            messages.info(request, _("This proposal was already published, so nothing more was done."))
        else:
            messages.success(request, _published_text(published))
    return redirect("matching_proposal", programme_id=proposal.programme_id, proposal_id=proposal.pk)


def _published_text(published: proposals.Published) -> str:
    parts = []
    if published.circles:
        count = len(published.circles)
        parts.append(
            ngettext("%(count)d new circle is published.", "%(count)d new circles are published.", count)
            % {"count": count}
        )
    if published.joined:
        parts.append(
            ngettext(
                "%(count)d person joins a circle that was already meeting.",
                "%(count)d people join circles that were already meeting.",
                published.joined,
            )
            % {"count": published.joined}
        )
    parts.append(_("Everyone placed is being told."))
    return " ".join(parts)


@login_required
@require_POST
def coach_preferences(request: AuthenticatedRequest) -> HttpResponse:
    """Save the signed-in member's preferred and avoided coaches, among their programmes' coaches only."""
    form = coach_preference_form(member=request.user, data=request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("profile")
    try:
        preferences.save_preferences(member=request.user, choices=form.choices())
    except CircleRuleError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your coach preferences are saved."))
    return redirect("profile")
