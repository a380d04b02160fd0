"""URLs of the notifications pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from coaching.notifications import push_views, views

urlpatterns: list[URLPattern] = [
    path("notifications/", views.notifications_page, name="notifications"),
    path("notifications/<int:notification_id>/open/", views.open_notification, name="notification_open"),
    path("notifications/read-all/", views.read_all, name="notifications_read_all"),
    path("notifications/unread/", views.unread, name="notifications_unread"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe_page, name="notifications_unsubscribe"),
    # Web Push: the service worker must be served from the root for its scope to cover the whole site.
    path("sw.js", push_views.service_worker, name="service_worker"),
    path("notifications/push/subscribe/", push_views.subscribe, name="push_subscribe"),
    path("notifications/push/unsubscribe/", push_views.unsubscribe, name="push_unsubscribe"),
    path(
        "notifications/devices/<int:device_id>/remove/", push_views.remove_device, name="push_device_remove"
    ),
]
