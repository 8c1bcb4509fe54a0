"""The drop intake: what is a file of a drop (a folder or a .zip of mixed 837 and 835 files), and how it is
read. Names a writer uses while a file is not complete yet, and our own sidecars, are never taken; symbolic
links and special files (FIFOs, devices, sockets) are skipped with a logged reason, never followed or read.

Inputs are bounded (`edi.config.LimitSettings`): a file larger than the limit, or a zip member whose declared
inflated size or compression ratio is over it, is refused before a byte of it is read (`InputFile.refusal`);
a member is inflated in chunks and stops at the limit when its archive lied about its size."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edi.config import LimitSettings
from edi.log import get_logger

SNIFF_BYTES = 1 << 16  # the first ST is always within the first few hundred bytes
PROCESSED, REJECTED, DUPLICATE = "processed", "rejected", "duplicate"  # where an input goes, and why
_INFLATE_CHUNK = 1 << 20

log = get_logger("edi.intake")


class DropError(Exception):
    """The drop itself cannot be read (missing, not a folder or a zip, a broken zip): exit 2."""


class InputRefused(Exception):
    """One input is over a limit (found while reading it): that input is rejected, the run goes on."""


def ignored_name(name: str) -> bool:
    """Names a writer uses while a file is not complete yet, and our own sidecars."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith(".") or base.endswith((".part", ".tmp", ".report.json")) or not base


@dataclass
class InputFile:
    """One file of a drop. `path` is set when it is a file on disk (it is moved when done); zip members
    have none (a rejected member is extracted next to the zip, under rejected/<zip name>/). `refusal` says
    why it is rejected unread (over a limit), when it is."""

    name: str
    load: Callable[[], bytes]
    head: Callable[[], bytes]
    path: Path | None = None
    home: Path | None = None  # the folder holding processed/ and rejected/
    archive: str = ""
    kind: str = ""
    refusal: str = ""


def special_file(mode: int) -> str:
    """Why a directory entry of this mode is not an input ('' for a regular file)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISLNK(mode):
        return "a symbolic link (never followed)"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file (FIFO, device or socket)"


def file_refusal(size: int, limits: LimitSettings) -> str:
    """Why a file of `size` bytes is refused unread ('' when it is within the limit)."""
    if size > limits.max_file_bytes:
        return f"the file is {size} bytes, over the limit of {limits.max_file_bytes} ([limits] max_file_bytes)"
    return ""


def member_refusal(info: zipfile.ZipInfo, limits: LimitSettings) -> str:
    """Why a zip member is refused before it is inflated ('' when its declared sizes are within the limits)."""
    size, packed = info.file_size, info.compress_size
    most = min(limits.max_zip_member_bytes, limits.max_file_bytes)
    if size > most:
        return f"the zip member inflates to {size} bytes, over the limit of {most} ([limits] max_zip_member_bytes)"
    if size > 1024 and size > limits.max_zip_ratio * max(packed, 1):
        return (
            f"the zip member inflates {size / max(packed, 1):.0f} times its compressed size, over the limit of "
            f"{limits.max_zip_ratio:g} ([limits] max_zip_ratio): refused as a zip bomb"
        )
    return ""


def file_input(path: Path, home: Path, limits: LimitSettings | None = None) -> InputFile:
    """A file on disk, moved under `home` (processed/ or rejected/) when done."""

    def head(p=path) -> bytes:
        with open(p, "rb") as handle:
            return handle.read(SNIFF_BYTES)

    limits = limits or LimitSettings()
    refusal = file_refusal(path.lstat().st_size, limits)
    return InputFile(path.name, path.read_bytes, head, path, home, refusal=refusal)


def skipped(name: str, why: str) -> None:
    """Log an entry of a drop or inbox that is not taken, with the reason."""
    log.warning("intake.skipped", file=name, reason=why)


def inputs_from_folder(folder: Path, limits: LimitSettings | None = None) -> list[InputFile]:
    """The complete regular files of a folder, by name (links and special files skipped, with a log)."""
    out = []
    for path in sorted(folder.iterdir()):
        if ignored_name(path.name):
            continue
        try:
            why = special_file(path.lstat().st_mode)
        except FileNotFoundError:  # moved away between listing and lstat
            continue
        if why:
            if not why.startswith("a folder"):  # processed/ and rejected/ live in the drop
                skipped(path.name, why)
            continue
        out.append(file_input(path, folder, limits))
    return out


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, inflated chunk by chunk; InputRefused past `limit` (the archive lied about its size)."""
    pieces, size = [], 0
    with zf.open(info) as handle:
        while chunk := handle.read(_INFLATE_CHUNK):
            size += len(chunk)
            if size > limit:
                raise InputRefused(f"the zip member inflates past {limit} bytes although it declares {info.file_size}")
            pieces.append(chunk)
    return b"".join(pieces)


def inputs_from_zip(archive: Path, limits: LimitSettings | None = None) -> tuple[list[InputFile], zipfile.ZipFile]:
    """The members of a zip, by name (the open archive is returned: close it when done)."""
    limits = limits or LimitSettings()
    try:
        zf = zipfile.ZipFile(archive)
        infos = [
            i
            for i in zf.infolist()
            if not i.is_dir() and not ignored_name(i.filename) and not i.filename.startswith("__MACOSX/")
        ]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DropError(f"{archive}: not a readable zip ({type(exc).__name__})") from exc
    most = min(limits.max_zip_member_bytes, limits.max_file_bytes)
    out = []
    for info in sorted(infos, key=lambda i: i.filename):
        mode = info.external_attr >> 16
        why = special_file(mode) if stat.S_IFMT(mode) else ""  # no file type recorded: a plain file
        if why:
            skipped(f"{archive.name}:{info.filename}", why)
            continue

        def load(i=info) -> bytes:
            return _inflate(zf, i, most)

        def head(i=info) -> bytes:
            with zf.open(i) as handle:
                return handle.read(SNIFF_BYTES)

        refusal = member_refusal(info, limits)
        out.append(InputFile(info.filename, load, head, None, archive.parent, archive.name, refusal=refusal))
    return out, zf


def open_drop(drop: Path, limits: LimitSettings | None = None) -> tuple[list[InputFile], zipfile.ZipFile | None]:
    """The inputs of a drop folder or zip (and the open archive, if any); DropError when it is neither."""
    if drop.is_dir():
        return inputs_from_folder(drop, limits), None
    if drop.is_file() and zipfile.is_zipfile(drop):
        return inputs_from_zip(drop, limits)
    if drop.exists():
        raise DropError(f"{drop}: neither a folder nor a .zip")
    raise DropError(f"{drop}: no such folder or file")


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies under it (both resolved: links and '..' do not hide it)."""
    path, folder = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return path == folder or folder in path.parents
