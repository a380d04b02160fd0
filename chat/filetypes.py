"""What a shared file is, decided from its bytes alone: the allow-list, the name rule, and image cleaning.

`inspect(data, name=…)` returns a `Checked` (the type, the kind, a safe name, for images the re-encoded
bytes with EXIF/XMP gone and the orientation applied, plus a thumbnail) or raises `FileRefused` with a
translated sentence. The name the browser sent is never trusted for the type. Pure: no database, no storage.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from typing import Any

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from coaching.lib.images import ImageRefused, has_markup, open_image
from coaching.lib.text import check_line

MAX_NAME = 200
THUMB_BOX = (480, 480)

# The allow-list: sniffed MIME type -> (the type we serve, the kind, the extension a download gets).
ALLOWED: dict[str, tuple[str, str, str]] = {
    "image/png": ("image/png", "image", "png"),
    "image/apng": ("image/png", "image", "png"),
    "image/jpeg": ("image/jpeg", "image", "jpg"),
    "image/webp": ("image/webp", "image", "webp"),
    "image/gif": ("image/gif", "image", "gif"),
    "application/pdf": ("application/pdf", "file", "pdf"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "file",
        "docx",
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "file",
        "xlsx",
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "file",
        "pptx",
    ),
    "application/vnd.oasis.opendocument.text": ("application/vnd.oasis.opendocument.text", "file", "odt"),
    "audio/ogg": ("audio/ogg", "audio", "ogg"),
    "video/webm": ("audio/webm", "audio", "webm"),  # what browsers record voice notes in
    "audio/mp4": ("audio/mp4", "audio", "m4a"),
    "text/plain": ("text/plain; charset=utf-8", "file", "txt"),
}
# Extensions that, kept at the end of a downloaded name, would open the file as something else locally.
EXTENSIONS = {
    "png": {"png"},
    "jpg": {"jpg", "jpeg"},
    "webp": {"webp"},
    "gif": {"gif"},
    "pdf": {"pdf"},
    "docx": {"docx"},
    "xlsx": {"xlsx"},
    "pptx": {"pptx"},
    "odt": {"odt"},
    "ogg": {"ogg", "oga", "opus"},
    "webm": {"webm", "weba"},
    "m4a": {"m4a"},
    "txt": {"txt", "text", "md", "csv", "log"},
}
PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP", "image/gif": "GIF"}
# Markup (coaching.lib.images.MARKUP) is refused anywhere in an image, and in a PDF's or text file's head.
HEAD_SCANNED = ("application/pdf", "text/plain")
KEEP_INFO = ("icc_profile", "transparency", "duration", "loop", "background")


class FileRefused(Exception):
    """A file that may not be shared; `str()` is a translated sentence saying why."""


@dataclass(frozen=True)
class Checked:
    """A file that may be shared: what to store and how to describe it."""

    data: bytes
    name: str
    content_type: str
    kind: str
    width: int | None = None
    height: int | None = None
    thumb: bytes | None = None


def clean_name(name: str) -> str:
    """The name as sent, trimmed; FileRefused for folders, control characters, an empty or overlong name."""
    name = unicodedata.normalize("NFC", name).strip()
    if "/" in name or "\\" in name or name in (".", ".."):
        raise FileRefused(_("A file name cannot contain folders (“/” or “\\”)."))
    try:
        check_line(name)
    except ValidationError:
        raise FileRefused(_("A file name cannot contain control characters.")) from None
    if not name:
        raise FileRefused(_("The file needs a name."))
    if len(name) > MAX_NAME:
        raise FileRefused(_("A file name can be at most %(max)d characters.") % {"max": MAX_NAME})
    return name


def _named(name: str, extension: str) -> str:
    """The name with an extension that matches the content (appended when it does not)."""
    stem, dot, current = name.rpartition(".")
    if dot and stem and current.lower() in EXTENSIONS[extension]:
        return name
    return f"{name[: MAX_NAME - len(extension) - 1]}.{extension}"


def _sniff(data: bytes) -> str | None:
    """The MIME type the bytes say, or None: magic numbers first, then UTF-8 text without control bytes."""
    kind = filetype.guess_mime(data)
    if kind is not None:
        return str(kind)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t\f" for c in text):
        return None
    return "text/plain"


def _image(data: bytes, sniffed: str) -> tuple[bytes, int, int, bytes]:
    """Re-encoded image bytes (orientation applied, EXIF/XMP/comments gone), size, and a WebP thumbnail."""
    fmt = PILLOW_FORMATS[ALLOWED[sniffed][0]]
    try:
        image, animated = open_image(data, fmt=fmt)
    except ImageRefused as refusal:
        raise FileRefused(str(refusal)) from None
    # Only what drawing needs survives: the camera, the time and the place the photo was taken do not.
    image.info = {key: image.info[key] for key in KEEP_INFO if key in image.info}
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if fmt in ("JPEG", "WEBP", "PNG"):
        options["exif"] = b""
    if fmt == "JPEG":
        options["quality"] = 90
    if animated:
        options["save_all"] = True
    image.save(out, format=fmt, **options)
    thumb = image.copy()
    if thumb.mode not in ("RGB", "RGBA"):
        thumb = thumb.convert("RGBA")
    thumb.thumbnail(THUMB_BOX)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="WEBP", quality=80)
    return out.getvalue(), image.width, image.height, thumb_out.getvalue()


def inspect(data: bytes, *, name: str) -> Checked:
    """The file as it may be shared, or FileRefused saying why (type, markup, damage, pixels, name)."""
    name = clean_name(name)
    if not data:
        raise FileRefused(_("This file is empty."))
    sniffed = _sniff(data)
    if sniffed not in ALLOWED:
        raise FileRefused(
            _(
                "This kind of file cannot be shared. You can share images (PNG, JPEG, WebP, GIF), PDFs, "
                "Word, Excel, PowerPoint and OpenDocument text files, plain text and voice notes."
            )
        )
    content_type, kind, extension = ALLOWED[sniffed]
    # Images anywhere (no photo holds markup); PDFs and text in the head, where a browser would sniff. Office
    # files are zip archives that no browser renders, and their parts may legitimately be XML.
    scanned = data if kind == "image" else data[:1024] if sniffed in HEAD_SCANNED else b""
    if has_markup(scanned):
        raise FileRefused(_("This file contains web page code, so it cannot be shared."))
    name = _named(name, extension)
    if kind != "image":
        return Checked(data=data, name=name, content_type=content_type, kind=kind)
    cleaned, width, height, thumb = _image(data, sniffed)
    return Checked(
        data=cleaned,
        name=name,
        content_type=content_type,
        kind=kind,
        width=width,
        height=height,
        thumb=thumb,
    )
