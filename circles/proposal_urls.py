"""URLs of matching: proposals (propose, review, move, drop, re-run, publish) and coach preferences."""

from __future__ import annotations

from django.urls import URLPattern, path

from circles import proposal_views

PROPOSAL = "programmes/<int:programme_id>/matching/<int:proposal_id>/"

urlpatterns: list[URLPattern] = [
    path("programmes/<int:programme_id>/matching/", proposal_views.propose, name="programme_matching"),
    path(PROPOSAL, proposal_views.proposal_page, name="matching_proposal"),
    path(f"{PROPOSAL}move/", proposal_views.move, name="matching_move"),
    path(f"{PROPOSAL}drop/", proposal_views.drop, name="matching_drop"),
    path(f"{PROPOSAL}rerun/", proposal_views.rerun, name="matching_rerun"),
    path(f"{PROPOSAL}publish/", proposal_views.publish, name="matching_publish"),
    path("accounts/profile/coaches/", proposal_views.coach_preferences, name="coach_preferences"),
]
