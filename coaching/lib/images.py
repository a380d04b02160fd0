"""Opening an untrusted image safely, and the square portrait a profile photo becomes.

`open_image` is the one check every uploaded image passes (chat attachments, profile photos): the bytes must
parse as the format they claim, within MAX_PIXELS, and the result has its EXIF orientation applied. Anything
else raises `ImageRefused` with a translated sentence. Pure: no database, no storage; imports no app.
"""

from __future__ import annotations

import io
import warnings

import filetype
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

# Pillow refuses to open anything larger (DecompressionBombError); 40 megapixels covers any phone camera.
MAX_PIXELS = 40_000_000
FORMATS = {
    "image/png": "PNG",
    "image/apng": "PNG",
    "image/jpeg": "JPEG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
}
# Markup that a browser would run if it ever took the file for a page. No photo holds it; polyglots do.
MARKUP = (b"<script", b"<html", b"<svg", b"<iframe", b"<body", b"<!doctype", b"<?xml", b"<object", b"<embed")
PORTRAIT_SIZE = 256


class ImageRefused(Exception):
    """An image that may not be used; `str()` is a translated sentence saying why."""


def has_markup(data: bytes) -> bool:
    """Whether the bytes hold web page code anywhere (case ignored)."""
    lowered = data.lower()
    return any(marker in lowered for marker in MARKUP)


def open_image(data: bytes, *, fmt: str) -> tuple[Image.Image, bool]:
    """The decoded image (orientation applied unless animated) and whether it is animated; ImageRefused for
    a damaged file or one past MAX_PIXELS."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                probe.verify()  # structure and checksums, without decoding the pixels
            image: Image.Image = Image.open(io.BytesIO(data), formats=[fmt])
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            animated = bool(getattr(image, "is_animated", False))
            image.load()
            if not animated:
                image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(
            _("This image is too large: at most %(mp)d megapixels.") % {"mp": MAX_PIXELS // 1_000_000}
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRefused(_("This image is damaged and cannot be shown.")) from None
    return image, animated


def square_portrait(data: bytes, *, size: int = PORTRAIT_SIZE) -> bytes:
    """A photo as a centred `size`×`size` WebP with no metadata (the first frame of an animation);
    ImageRefused for anything but a sound PNG, JPEG, WebP or GIF."""
    sniffed = filetype.guess_mime(data) if data else None
    if sniffed not in FORMATS:
        raise ImageRefused(_("Choose a photo in PNG, JPEG, WebP or GIF format."))
    if has_markup(data):
        raise ImageRefused(_("This file contains web page code, so it cannot be used."))
    image, _animated = open_image(data, fmt=FORMATS[str(sniffed)])
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    # Saved fresh from pixels alone: no EXIF, XMP, ICC or comments reach the stored file.
    portrait = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    portrait.save(out, format="WEBP", quality=85)
    return out.getvalue()
