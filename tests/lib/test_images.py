"""coaching/lib/images.py: the square portrait a profile photo becomes, and what it refuses."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from coaching.lib.images import ImageRefused, square_portrait


def jpeg_with_gps(width: int = 800, height: int = 400) -> bytes:
    image = Image.new("RGB", (width, height), "red")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {2: (40.0, 25.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_it_makes_a_square_webp_without_metadata():
    data = jpeg_with_gps()
    assert b"SpyCam" in data
    portrait = square_portrait(data)
    with Image.open(io.BytesIO(portrait)) as image:
        assert (image.format, image.size) == ("WEBP", (256, 256))
        assert not image.getexif()
    assert b"SpyCam" not in portrait


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text", "Choose a photo in PNG, JPEG, WebP or GIF format."),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "PNG, JPEG, WebP or GIF",
        ),
        (jpeg_with_gps()[:300], "damaged"),
        (jpeg_with_gps() + b"<script>alert(1)</script>", "web page code"),
        (b"", "Choose a photo"),
    ],
)
def test_it_refuses_what_is_not_a_sound_photo_with_a_clear_sentence(data, message):
    with pytest.raises(ImageRefused, match=message):
        square_portrait(data)


def test_it_refuses_a_decompression_bomb():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # 81 megapixels in a few kilobytes
    with pytest.raises(ImageRefused, match="too large"):
        square_portrait(out.getvalue())
