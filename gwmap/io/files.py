"""Evidence and photo files: type by content (not by name), size limit, content-addressed storage."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gwmap.errors import InputDataError

__all__ = ["Attachment", "MAX_PHOTO_MB", "check_upload", "store_file", "write_atomic", "file_sha256"]


@dataclass(frozen=True)
class Attachment:
    """A file a user attaches to a record (a photo, a scanned notice): name, bytes, and what goes with it.

    ``lon``/``lat``: the position the inspector typed (or the phone gave) for a photo whose EXIF has none;
    ``kind``: what the photo shows where a record keeps several (a sealing's ``before`` and ``after``);
    ``taken_at`` (UTC) and ``accuracy_m``: what the phone recorded with a photo taken on the field page
    (phone browsers strip EXIF, so the page sends the position and time itself; ``source="device"``).
    """

    filename: str
    data: bytes
    lon: float | None = None
    lat: float | None = None
    kind: str = ""
    taken_at: datetime | None = None
    accuracy_m: float | None = None
    source: str = "entered"

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


def store_file(data: bytes, folder: Path, *, suffix: str = "") -> str:
    """Keep ``data`` as ``folder/<sha256><suffix>`` and return the hash.

    A file already there with the right content is left alone (never
    overwritten); one that does not match its name (a write cut short before
    writes were atomic) is replaced by the good copy.
    """
    sha = hashlib.sha256(data).hexdigest()
    path = folder / f"{sha}{suffix}"
    if not (path.exists() and file_sha256(path) == sha):
        write_atomic(path, data, sha256=sha)
    return sha


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomic(path: Path, data: bytes, *, sha256: str | None = None) -> None:
    """Write ``data`` to ``path`` so that the file is either the old one or all of the new one.

    The bytes go to a temporary file in the same folder, are flushed to disk
    (fsync), and the temporary file is renamed over ``path`` (atomic on one
    file system); the folder is synced so the rename survives a power cut.
    With ``sha256`` the written file is read back and checked.

    Raises
    ------
    OSError
        The disk refused the write or the read-back did not match; ``path`` is unchanged.

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if sha256 is not None and file_sha256(Path(tmp)) != sha256:
            raise OSError(f"the copy written to {tmp} does not match its SHA-256")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
