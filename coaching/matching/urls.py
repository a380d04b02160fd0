"""URLs of matching: proposals (propose, review, move, drop, re-run, publish) and coach preferences."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.matching import views

PROPOSAL = "programmes/<int:programme_id>/matching/<int:proposal_id>/"

urlpatterns: list[URLPattern] = [
    path("programmes/<int:programme_id>/matching/", views.propose, name="programme_matching"),
    path(PROPOSAL, views.proposal_page, name="matching_proposal"),
    path(f"{PROPOSAL}move/", views.move, name="matching_move"),
    path(f"{PROPOSAL}drop/", views.drop, name="matching_drop"),
    path(f"{PROPOSAL}rerun/", views.rerun, name="matching_rerun"),
    path(f"{PROPOSAL}publish/", views.publish, name="matching_publish"),
    path("accounts/profile/coaches/", views.coach_preferences, name="coach_preferences"),
]
