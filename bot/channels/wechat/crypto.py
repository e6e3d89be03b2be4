"""WeChat Official Account signatures and safe-mode (AES) message crypto.

Signatures are the SHA-1 of the lexicographically sorted parameters (token, timestamp, nonce and, in
safe mode, the ``Encrypt`` payload). The AES part (WXBizMsgCrypt: AES-256-CBC, IV = key[:16],
PKCS#7 padding to 32 bytes, ``random(16) | len(4, network order) | xml | app_id``) is delegated to
wechatpy's maintained implementation; this module only adds constant-time checks and turns every
failure into one exception type so the webhook can answer 403/400 instead of 500.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string

from wechatpy.crypto import PrpCrypto


class WeChatCryptoError(Exception):
    """Raised when a payload cannot be authenticated or decrypted."""


def compute_signature(token: str, *parts: str) -> str:
    """SHA-1 hex digest of the sorted, concatenated parts (WeChat's signature algorithm)."""
    joined = "".join(sorted([token, *[str(p) for p in parts]]))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()


def check_signature(token: str, signature: str | None, *parts: str | None) -> bool:
    """True when ``signature`` matches; compared in constant time so timing leaks nothing."""
    if not signature or any(p is None for p in parts):
        return False
    expected = compute_signature(token, *[p for p in parts if p is not None])
    return hmac.compare_digest(expected, signature.lower())


def make_nonce(length: int = 10) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))


class WeChatCipher:
    """Encrypts/decrypts message bodies for one Official Account (its EncodingAESKey and AppID)."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("WECHAT_AES_KEY must be the 43-character EncodingAESKey") from exc
        if len(key) != 32:
            raise ValueError("WECHAT_AES_KEY must decode to 32 bytes (43 base64 characters)")
        self._key = key
        self.app_id = app_id

    def encrypt(self, plaintext: str) -> str:
        """Base64 ciphertext of ``plaintext`` bound to this AppID."""
        # A fresh PrpCrypto per call: the underlying cipher object is stateful (CBC).
        return PrpCrypto(self._key).encrypt(plaintext, self.app_id).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Plaintext XML; raises WeChatCryptoError on bad base64/padding/length or a foreign AppID."""
        try:
            raw = base64.b64decode(ciphertext, validate=True)
            if not raw or len(raw) % 32 and len(raw) % 16:
                raise WeChatCryptoError("ciphertext length is not a multiple of the AES block")
            return PrpCrypto(self._key).decrypt(ciphertext, self.app_id)
        except WeChatCryptoError:
            raise
        except Exception as exc:  # wechatpy raises assorted errors (struct, unicode, app id)
            raise WeChatCryptoError(f"cannot decrypt message: {type(exc).__name__}") from exc

    def sign(self, token: str, timestamp: str, nonce: str, encrypted: str) -> str:
        return compute_signature(token, timestamp, nonce, encrypted)
