"""Files shared in chat: storing an upload, who may fetch one, a room's files, and removing them.

An upload (`upload`) is checked by chat.filetypes, stored under a random name in the "attachments" storage
and recorded as an `Attachment` owned by its uploader and not yet bound to a message; `chat.sending` binds it
when a send names it. `access_attachment` is the one access rule for a file: the room's rule (chat.access),
then the message must be visible (an unbound upload only to its uploader). Unsent uploads are swept after
CHAT_FILE_ORPHAN_HOURS (`sweep_orphans`); a stored file goes when its row goes (chat.receivers).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.access import access_room, access_thread
from chat.filetypes import FileRefused, inspect
from chat.models import Attachment, Room, Thread, attachment_storage
from coaching.accounts.models import User
from coaching.lib.errors import ChatError, NoAccess


def max_bytes() -> int:
    return int(settings.CHAT_FILE_MAX_MB) * 1024 * 1024


def _too_large() -> ChatError:
    return ChatError("too_long", _("A file can be at most %(mb)d MB.") % {"mb": settings.CHAT_FILE_MAX_MB})


def check_upload_size(size: int) -> None:
    """ChatError `too_long` past CHAT_FILE_MAX_MB (asked before reading the file)."""
    if size > max_bytes():
        raise _too_large()


def _store(data: bytes) -> str:
    """Save bytes under a fresh random name; the stored name says nothing about the upload."""
    stored: str = attachment_storage().save(f"chat/{uuid.uuid4().hex}", ContentFile(data))
    return stored


def _check_quota(*, room: Room, size: int) -> None:
    used = Attachment.objects.filter(room=room).aggregate(total=Sum("size"))["total"] or 0
    if used + size > int(settings.CHAT_FILE_QUOTA_MB) * 1024 * 1024:
        raise ChatError(
            "quota",
            _("This conversation has used its %(mb)d MB of files; delete some before sharing more.")
            % {"mb": settings.CHAT_FILE_QUOTA_MB},
        )


def upload(*, user: User, room: Room, file: UploadedFile) -> Attachment:
    """Check and store one file for `room` (access checked by the caller); ChatError saying why if refused.

    Nothing is stored for a refused file: the bytes are checked first, and the stored copies are removed
    again when the quota refuses them.
    """
    check_upload_size(file.size or 0)
    data = file.read(max_bytes() + 1)
    check_upload_size(len(data))
    try:
        checked = inspect(data, name=file.name or "")
    except FileRefused as refusal:
        raise ChatError("invalid_file", str(refusal)) from None
    stored = [_store(checked.data)]
    if checked.thumb is not None:
        stored.append(_store(checked.thumb))
    try:
        with transaction.atomic():
            # The room's row lock makes two uploads racing for the last megabytes take turns.
            Room.objects.select_for_update().filter(pk=room.pk).values_list("pk").first()
            _check_quota(room=room, size=len(checked.data))
            return Attachment.objects.create(
                room=room,
                uploader=user,
                file=stored[0],
                thumb=stored[1] if len(stored) > 1 else "",
                name=checked.name,
                content_type=checked.content_type,
                kind=checked.kind,
                size=len(checked.data),
                width=checked.width,
                height=checked.height,
            )
    except BaseException:
        for name in stored:
            attachment_storage().delete(name)
        raise


def access_attachment(user: User, key: uuid.UUID) -> Attachment:
    """The attachment, for people who may read its room and see its message; NoAccess (a 404) otherwise.

    The room's rule is chat.access's, asked on every request, so leaving a circle ends access at once. A
    deleted or hidden message's files are nobody's; an upload not yet sent is its uploader's alone.
    """
    if not user.is_authenticated or not user.is_active:
        raise NoAccess(4401)
    attachment = Attachment.objects.select_related("room", "message").filter(key=key).first()
    if attachment is None:
        raise NoAccess(4404)
    room = attachment.room
    if room.circle_id is not None:
        access_room(user, room.circle_id)
    else:
        access_thread(user, Thread.objects.values_list("pk", flat=True).get(room=room))
    message = attachment.message
    if message is None:
        if attachment.uploader_id != user.pk:
            raise NoAccess(4404)
    elif message.deleted_at is not None or message.hidden_at is not None:
        raise NoAccess(4404)
    return attachment


def files_of_room(room: Room, *, kind: str | None = None, author: User | None = None) -> QuerySet[Attachment]:
    """The room's sent files that anyone in it may see (not deleted, not hidden), newest first.

    For callers that checked access to the room; `kind` is an Attachment.Kind, `author` the sender.
    """
    files = Attachment.objects.filter(
        room=room, message__isnull=False, message__deleted_at__isnull=True, message__hidden_at__isnull=True
    ).select_related("message", "uploader")
    if kind is not None:
        files = files.filter(kind=kind)
    if author is not None:
        files = files.filter(uploader=author)
    return files.order_by("-created_at", "-id")


def delete_files_of(*, message_ids: list[int]) -> int:
    """Remove the files of these messages (a deletion or an erasure); the stored bytes go after commit."""
    deleted, _per_model = Attachment.objects.filter(message_id__in=message_ids).delete()
    return deleted


def sweep_orphans(*, now: dt.datetime | None = None) -> int:
    """Remove uploads never sent (a closed tab, a dropped socket) older than CHAT_FILE_ORPHAN_HOURS."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.CHAT_FILE_ORPHAN_HOURS)
    deleted, _per_model = Attachment.objects.filter(message__isnull=True, created_at__lt=cutoff).delete()
    return deleted
