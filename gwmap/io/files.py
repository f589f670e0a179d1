"""Evidence and photo files: type by content (not by name), size limit, content-addressed storage."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gwmap.errors import InputDataError

__all__ = ["MAX_PHOTO_MB", "check_upload", "store_file"]

MAX_PHOTO_MB = 50
#: File signatures accepted; anything else (a renamed .exe, say) is refused.
_SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}


def check_upload(data: bytes, filename: str, *, limit_mb: int = MAX_PHOTO_MB) -> str:
    """The MIME type of an accepted photo or PDF, judged by its first bytes.

    >>> check_upload(b"%PDF-1.7 ...", "x.pdf")
    'application/pdf'
    """
    if not data:
        raise InputDataError("err.upload.empty", "Empty file.", name=filename)
    if len(data) > limit_mb * 2**20:
        raise InputDataError("err.upload.too_large", "File too large.", size_mb=f"{len(data) / 2**20:.0f}",
                             limit_mb=limit_mb)
    for sig, mime in _SIGNATURES.items():
        if data.startswith(sig):
            return mime
    raise InputDataError("err.evidence.type", "Only JPEG, PNG and PDF files are accepted.", name=filename)


def store_file(data: bytes, folder: Path) -> str:
    """Keep ``data`` as ``folder/<sha256>`` (never overwritten) and return the hash."""
    sha = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / sha
    if not path.exists():
        path.write_bytes(data)
    return sha
