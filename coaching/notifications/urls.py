"""URLs of the notifications pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.notifications import views

urlpatterns: list[URLPattern] = [
    path("notifications/", views.notifications_page, name="notifications"),
    path("notifications/<int:notification_id>/open/", views.open_notification, name="notification_open"),
    path("notifications/read-all/", views.read_all, name="notifications_read_all"),
    path("notifications/unread/", views.unread, name="notifications_unread"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe_page, name="notifications_unsubscribe"),
]
