"""The drop intake: what is a file of a drop (a folder or a .zip of mixed 837 and 835 files), and how it is
read. Names a writer uses while a file is not complete yet, and our own sidecars, are never taken."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SNIFF_BYTES = 1 << 16  # the first ST is always within the first few hundred bytes
PROCESSED, REJECTED, DUPLICATE = "processed", "rejected", "duplicate"  # where an input goes, and why


class DropError(Exception):
    """The drop itself cannot be read (missing, not a folder or a zip, a broken zip): exit 2."""


def ignored_name(name: str) -> bool:
    """Names a writer uses while a file is not complete yet, and our own sidecars."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith(".") or base.endswith((".part", ".tmp", ".report.json")) or not base


@dataclass
class InputFile:
    """One file of a drop. `path` is set when it is a file on disk (it is moved when done); zip members
    have none (a rejected member is extracted next to the zip, under rejected/<zip name>/)."""

    name: str
    load: Callable[[], bytes]
    head: Callable[[], bytes]
    path: Path | None = None
    home: Path | None = None  # the folder holding processed/ and rejected/
    archive: str = ""
    kind: str = ""


def file_input(path: Path, home: Path) -> InputFile:
    """A file on disk, moved under `home` (processed/ or rejected/) when done."""

    def head(p=path) -> bytes:
        with open(p, "rb") as handle:
            return handle.read(SNIFF_BYTES)

    return InputFile(path.name, path.read_bytes, head, path, home)


def inputs_from_folder(folder: Path) -> list[InputFile]:
    """The complete regular files of a folder, by name."""
    return [
        file_input(path, folder) for path in sorted(folder.iterdir()) if path.is_file() and not ignored_name(path.name)
    ]


def inputs_from_zip(archive: Path) -> tuple[list[InputFile], zipfile.ZipFile]:
    """The members of a zip, by name (the open archive is returned: close it when done)."""
    try:
        zf = zipfile.ZipFile(archive)
        infos = [
            i
            for i in zf.infolist()
            if not i.is_dir() and not ignored_name(i.filename) and not i.filename.startswith("__MACOSX/")
        ]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DropError(f"{archive}: not a readable zip ({exc})") from exc
    out = []
    for info in sorted(infos, key=lambda i: i.filename):

        def load(i=info) -> bytes:
            return zf.read(i)

        def head(i=info) -> bytes:
            with zf.open(i) as handle:
                return handle.read(SNIFF_BYTES)

        out.append(InputFile(info.filename, load, head, None, archive.parent, archive.name))
    return out, zf


def open_drop(drop: Path) -> tuple[list[InputFile], zipfile.ZipFile | None]:
    """The inputs of a drop folder or zip (and the open archive, if any); DropError when it is neither."""
    if drop.is_dir():
        return inputs_from_folder(drop), None
    if drop.is_file() and zipfile.is_zipfile(drop):
        return inputs_from_zip(drop)
    if drop.exists():
        raise DropError(f"{drop}: neither a folder nor a .zip")
    raise DropError(f"{drop}: no such folder or file")
