"""Compressed dataset files, read as ``datasets`` reads them: ``.gz``, ``.bz2``, ``.xz``, ``.zst`` and a ``.zip``
that holds one data file.

The inner file's format comes from the name inside (``train.jsonl.gz`` is JSON lines; the member's name for a
zip). Decompression streams; the size limit applies to what comes out, so a small archive that expands past
``TUNEWISE_MAX_DATA_MB`` (a "zip bomb") stops with a clear error instead of filling memory.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

from catalog.errors import DataError
from finetune.data.readers.base import SUFFIXES, max_bytes

COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd",
                ".zip": "zip"}
"""File suffix -> compression."""
MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"),
         (b"PK\x03\x04", "zip"))
"""Leading bytes -> compression, for a file whose name does not say."""


def compression_of(path: Path, head: bytes) -> str | None:
    """The compression of a file from its suffix, else from its first bytes (None for a plain file).

    A ``.zip`` that is an Office document (``.xlsx``, ``.docx``) is not a compressed dataset: None.
    """
    by_name = COMPRESSIONS.get(path.suffix.lower())
    if by_name:
        return by_name
    if path.suffix.lower() in (".xlsx", ".xlsm", ".docx", ".pptx", ".ods", ".odt"):
        return None
    return next((kind for magic, kind in MAGIC if head.startswith(magic) and kind != "zip"), None) or \
        ("zip" if head.startswith(b"PK\x03\x04") and _zip_member(path, quiet=True) else None)


def inner_name(path: Path, compression: str) -> str:
    """The name of the data inside: the member of a zip, else the name without the compression suffix."""
    if compression == "zip":
        return PurePosixPath(_zip_member(path)).name
    return path.name[: -len(path.suffix)] if path.suffix.lower() in COMPRESSIONS else path.name


def inner_suffix(path: Path) -> str:
    """The data suffix of a possibly compressed file: ``.jsonl`` for ``train.jsonl.gz`` (lower case)."""
    suffix = path.suffix.lower()
    if suffix in COMPRESSIONS and suffix != ".zip":
        return Path(path.stem).suffix.lower()
    return suffix


def _zip_member(path: Path, quiet: bool = False) -> str:
    """The one data file inside a zip; DataError (None when ``quiet``) when there is not exactly one."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [info.filename for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        if quiet:
            return ""
        raise DataError(f"{path.name} is not a readable zip archive ({exc}).") from None
    if any(name.startswith(("xl/", "word/", "ppt/")) for name in names) or "[Content_Types].xml" in names:
        if quiet:
            return ""
        raise DataError(f"{path.name} is an Excel/Word file, not a text dataset; export the sheet as CSV.")
    data = [n for n in names if not n.startswith(("__MACOSX/", ".")) and "/." not in n
            and PurePosixPath(n).name not in (".DS_Store", "Thumbs.db")]
    known = [n for n in data if PurePosixPath(n).suffix.lower() in SUFFIXES] or data
    if len(known) != 1:
        if quiet:
            return ""
        listed = ", ".join(known[:5]) + (" ..." if len(known) > 5 else "") if known else "no data file"
        raise DataError(f"{path.name} holds {len(known)} files ({listed}); a zip is read when it holds one data "
                        "file. Unpack it and give the folder (train/validation/test files are read as splits), or "
                        "zip one file.")
    return known[0]


class _Limited(io.RawIOBase):
    """A decompressing stream that stops with DataError once more than the size limit has come out."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream, self.name, self.total, self.limit = stream, name, 0, max_bytes()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        self.total += len(data)
        if self.total > self.limit:
            raise DataError(f"{self.name} expands to more than the {self.limit / 2**20:g} MB limit. Sample it down, "
                            "or raise the limit with TUNEWISE_MAX_DATA_MB if this machine has the memory.")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.stream.close()
        super().close()


def open_decompressed(path: Path, compression: str) -> IO[bytes]:
    """A binary stream of the decompressed data, limited to the size limit.

    Raises:
        DataError: When the archive is damaged, holds no single data file, or zstd support is missing.
    """
    try:
        stream: Any
        if compression == "gzip":
            import gzip

            stream = gzip.open(path, "rb")  # noqa: SIM115 - the caller closes it
        elif compression == "bz2":
            import bz2

            stream = bz2.open(path, "rb")  # noqa: SIM115 - the caller closes it
        elif compression == "xz":
            import lzma

            stream = lzma.open(path, "rb")  # noqa: SIM115 - the caller closes it
        elif compression == "zstd":
            try:
                import zstandard
            except ImportError:
                raise DataError(f"{path.name} is zstd-compressed and the zstandard package is not installed: "
                                "`pip install zstandard`, or decompress the file first.") from None
            stream = zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
        else:
            archive = zipfile.ZipFile(path)
            stream = archive.open(_zip_member(path))
    except OSError as exc:
        raise DataError(f"{path.name} cannot be decompressed ({exc}).") from None
    return io.BufferedReader(_Limited(stream, path.name))


def read_head(path: Path, compression: str | None, size: int) -> bytes:
    """The first ``size`` bytes of the data (decompressed when ``compression`` is set).

    Raises:
        DataError: When the file cannot be decompressed.
    """
    if compression is None:
        with path.open("rb") as fh:
            return fh.read(size)
    try:
        with open_decompressed(path, compression) as fh:
            return fh.read(size)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - gzip, lzma, bz2 and zstandard each raise their own error types
        raise damaged(path, compression, exc) from None


def damaged(path: Path, compression: str, exc: BaseException) -> DataError:
    """The error for an archive that breaks while it is read."""
    return DataError(f"{path.name} cannot be decompressed: it is damaged or not {compression} data ({exc}).")
