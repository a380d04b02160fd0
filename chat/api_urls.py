"""Chat routes besides the conversation pages: the history API, attachments, search, reports and coach
moderation."""

from __future__ import annotations

from django.urls import URLPattern, path

from chat import api_views, attachment_views

urlpatterns: list[URLPattern] = [
    path("api/circles/<int:circle_id>/messages/", api_views.circle_messages, name="api_circle_messages"),
    path("api/threads/<int:thread_id>/messages/", api_views.thread_messages, name="api_thread_messages"),
    path(
        "api/circles/<int:circle_id>/attachments/", attachment_views.circle_upload, name="api_circle_upload"
    ),
    path(
        "api/threads/<int:thread_id>/attachments/", attachment_views.thread_upload, name="api_thread_upload"
    ),
    path("files/<uuid:key>/", attachment_views.file, name="chat_file"),
    path("files/<uuid:key>/thumb/", attachment_views.thumb, name="chat_file_thumb"),
    path("circles/<int:circle_id>/search/", api_views.circle_search, name="circle_search"),
    path(
        "circles/<int:circle_id>/messages/<int:message_id>/report/",
        api_views.report_message,
        name="circle_report_message",
    ),
    path(
        "circles/<int:circle_id>/messages/<int:message_id>/hide/",
        api_views.hide_message,
        name="circle_hide_message",
    ),
    path("circles/<int:circle_id>/mute/", api_views.mute_member, name="circle_mute_member"),
    path("programmes/<int:programme_id>/reports/", api_views.programme_reports, name="programme_reports"),
    path(
        "programmes/<int:programme_id>/reports/<int:report_id>/resolve/",
        api_views.resolve_report,
        name="programme_resolve_report",
    ),
]
