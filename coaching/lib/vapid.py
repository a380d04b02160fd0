"""VAPID keys for Web Push and the base64url they travel in: one place for settings, the command and views."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url_decode(text: str) -> bytes:
    """Bytes of base64url text, padded or not (binascii.Error when it is not base64)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url text of `data`, as browsers and push services write it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def new_pair() -> tuple[str, str]:
    """A fresh P-256 pair as (public uncompressed point, private raw 32 bytes), both base64url unpadded."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url_encode(_point(key)), b64url_encode(key.private_numbers().private_value.to_bytes(32, "big"))


def public_key_of(private_key: str) -> str:
    """The base64url public key (uncompressed P-256 point) of a base64url private key, raw 32 bytes or DER.

    Raises ValueError when `private_key` is not such a key.
    """
    try:
        der = b64url_decode(private_key.strip())
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if len(der) == 32:
        key: Any = ec.derive_private_key(int.from_bytes(der, "big"), ec.SECP256R1())
    else:
        key = serialization.load_der_private_key(der, password=None)  # raises ValueError
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("not a P-256 key")
    return b64url_encode(_point(key))
