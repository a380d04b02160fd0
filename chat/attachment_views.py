"""Attachments over HTTP: uploading a file to a room, and fetching a file or its thumbnail.

Both ask the room's access rule first (uploads: chat.access; files: chat.attachments.access_attachment), so
everyone else, admins included, gets 404. A file is never served as a page of this site: its sniffed type,
`nosniff`, a CSP that allows nothing and sandboxes it, and `attachment` for all but images and PDFs. With a
remote storage (S3) a download is a redirect to a short-lived signed URL, after the same check.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.http import FileResponse, HttpRequest, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chat import attachments, selectors
from chat.api_views import _error, _refusal, _room, _signed_in
from chat.models import Attachment, attachment_storage
from coaching.lib.errors import ChatError, NoAccess
from coaching.lib.files import untrusted_file

INLINE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf")
MULTIPART_SLACK = 64 * 1024  # the form's boundaries and headers around the file
UPLOAD_STATUS = {"too_long": 413, "quota": 413, "invalid_file": 400}


def _upload(request: HttpRequest, **room_id: int) -> JsonResponse:
    try:
        room = _room(_signed_in(request), **room_id)
    except NoAccess as refusal:
        return _refusal(refusal)
    try:
        # Refuse an oversized body before Django reads it.
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        attachments.check_upload_size(max(declared - MULTIPART_SLACK, 0))
        files = request.FILES.getlist("file")
        if len(files) != 1:
            raise ChatError("invalid_file", _("Send one file in the “file” field."))
        attachment = attachments.upload(user=request.user, room=room, file=files[0])  # type: ignore[arg-type]
    except ChatError as error:
        return _error(error.code, error.detail, status=UPLOAD_STATUS.get(error.code, 400))
    return JsonResponse({"attachment": selectors.attachment_payload(attachment)}, status=201)


@require_POST
def circle_upload(request: HttpRequest, circle_id: int) -> JsonResponse:
    """POST a file (multipart field `file`) to a circle's room: 201 with the unbound attachment."""
    return _upload(request, circle_id=circle_id)


@require_POST
def thread_upload(request: HttpRequest, thread_id: int) -> JsonResponse:
    """POST a file to a 1:1 thread's room."""
    return _upload(request, thread_id=thread_id)


def _secure(response: HttpResponseBase) -> HttpResponseBase:
    return untrusted_file(response, max_age=300)


def _signed_url(storage: Storage, name: str, *, content_type: str, disposition: str) -> str:
    """A short-lived URL that downloads the stored object with our headers (S3), or the storage's URL."""
    from storages.backends.s3 import S3Storage  # only with FILE_STORAGE=s3

    if isinstance(storage, S3Storage):
        parameters: dict[str, Any] = {
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
            "ResponseCacheControl": "private, max-age=300",
        }
        return str(storage.url(name, parameters=parameters, expire=settings.CHAT_FILE_URL_SECONDS))
    return str(storage.url(name))


def _serve(request: HttpRequest, key: uuid.UUID, *, thumb: bool) -> HttpResponseBase:
    attachment: Attachment = attachments.access_attachment(request.user, key)  # type: ignore[arg-type]
    if thumb and not attachment.thumb:
        raise NoAccess(4404)
    name = str(attachment.thumb.name if thumb else attachment.file.name)
    content_type = "image/webp" if thumb else attachment.content_type
    inline = thumb or attachment.content_type in INLINE_TYPES
    storage = attachment_storage()
    try:
        storage.path(name)
    except NotImplementedError:  # a remote storage: the browser fetches the bytes from it directly
        disposition = content_disposition_header(not inline, attachment.name) or "attachment"
        return _secure(
            HttpResponseRedirect(
                _signed_url(storage, name, content_type=content_type, disposition=disposition)
            )
        )
    try:
        stored = storage.open(name, "rb")
    except FileNotFoundError:  # the bytes are gone (a restore without the files): nothing to show
        raise NoAccess(4404) from None
    response = FileResponse(
        stored,
        content_type=content_type,
        as_attachment=not inline,
        filename=attachment.name,
    )
    return _secure(response)


@require_GET
def file(request: HttpRequest, key: uuid.UUID) -> HttpResponseBase:
    """An attachment's bytes, for people who may see its message; 404 for everyone else."""
    return _serve(request, key, thumb=False)


@require_GET
def thumb(request: HttpRequest, key: uuid.UUID) -> HttpResponseBase:
    """An image attachment's thumbnail (WebP), under the same rule."""
    return _serve(request, key, thumb=True)
