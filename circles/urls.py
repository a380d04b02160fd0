"""URLs of programmes (admins) and circles (their members and coach)."""

from __future__ import annotations

from django.urls import include, path

from circles import announcement_views, people_views, views

urlpatterns = [
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/<int:programme_id>/", views.programme_dashboard, name="programme_dashboard"),
    path("programmes/<int:programme_id>/assign/", views.assign, name="programme_assign"),
    path("programmes/<int:programme_id>/circles/new/", views.new_circle, name="programme_new_circle"),
    path("programmes/<int:programme_id>/circles/<int:circle_id>/", views.roster, name="programme_roster"),
    path("programmes/<int:programme_id>/circles/<int:circle_id>/move/", views.move, name="programme_move"),
    path(
        "programmes/<int:programme_id>/circles/<int:circle_id>/remove/", views.remove, name="programme_remove"
    ),
    path("programmes/<int:programme_id>/circles/<int:circle_id>/coach/", views.coach, name="programme_coach"),
    path("programmes/<int:programme_id>/circles/<int:circle_id>/close/", views.close, name="programme_close"),
    path("programmes/<int:programme_id>/audit/", views.audit, name="programme_audit"),
    path(
        "programmes/<int:programme_id>/announcements/",
        announcement_views.programme_announcements,
        name="programme_announcements",
    ),
    path("announcements/<int:announcement_id>/", announcement_views.announcement_page, name="announcement"),
    path("circles/<int:circle_id>/", views.circle_page, name="circle"),
    path("circles/<int:circle_id>/charter/accept/", views.accept_charter, name="circle_accept_charter"),
    path("circles/<int:circle_id>/charter/", views.edit_charter, name="circle_edit_charter"),
    path("people/<int:user_id>/", people_views.card, name="person_card"),
    path("people/<int:user_id>/photo/", people_views.photo, name="person_photo"),
    path("", include("circles.import_urls")),
]
