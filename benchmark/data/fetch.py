"""``bench data fetch NAME``: download a card's files where a network exists; else say where to put them.

A card's ``[fetch]`` table names the ``page`` to read (licence, registration), the direct ``urls``
when the source allows anonymous downloads, their published ``md5`` checksums when there are
some, and ``manual`` steps when it does not (Kaggle, TCIA). Files are downloaded and unpacked in a
temporary sibling of the card's folder (a unique name made for this fetch) and moved into
place at the end; on any failure everything this fetch created is removed, and nothing else.
Without a network the first connection fails within ``timeout`` seconds with a message naming
the folder to fill by hand.

Archives are unpacked by :func:`unpack`, which checks every member itself (it does not rely on
``tarfile``'s extraction filters): link members and paths outside the destination are refused,
and the unpacked size is capped (:data:`MAX_UNPACKED`, ``BENCH_MAX_UNPACKED``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import socket
import tarfile
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from benchmark.core.errors import BenchError
from benchmark.data.limits import parse_count
from benchmark.data.loaders.location import PACKAGE_PREFIX, card_location, env_name

if TYPE_CHECKING:
    from benchmark.data.schema import Card

#: Seconds to wait for name resolution or a connection before calling the machine offline.
TIMEOUT = 5.0

#: Default cap on the bytes one fetch unpacks: the largest card (IXI T1, 4.5 GB) with room to
#: spare, far below what would fill a disk from a small compressed archive.
MAX_UNPACKED = 32 << 30

#: Bytes copied at a time while downloading or unpacking.
BLOCK = 1 << 20


def by_hand(card: Card, target: Path) -> str:
    """The sentence that says how to provide the files without ``fetch``."""
    spec = card.fetch
    steps = spec.manual or f"download {', '.join(spec.urls) or 'the files'}"
    layout = card.local.layout
    return (f"{steps.strip().rstrip('.')}; put the files in {target}"
            + (f" ({layout})" if layout else "")
            + f", or set {env_name(card)}=/path/to/them; page: {spec.page or '?'}")


def _resolves(host: str, timeout: float) -> bool:
    """Whether ``host`` resolves within ``timeout`` (name lookup ignores socket timeouts)."""
    outcome: list[bool] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, None)
            outcome.append(True)
        except OSError:
            outcome.append(False)

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(outcome and outcome[0])


def download(url: str, target: Path, *, timeout: float = TIMEOUT) -> Path:
    """Stream ``url`` into ``target`` (a file path); raises OSError/URLError on network failure."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("http", "https") and not _resolves(parts.hostname or "", timeout):
        raise urllib.error.URLError(f"cannot resolve {parts.hostname} within {timeout:g} s")
    with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:
        shutil.copyfileobj(response, out, length=BLOCK)
    return target


def md5sum(path: Path) -> str:
    """The MD5 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def max_unpacked() -> int:
    """The unpacked-size cap in bytes: ``BENCH_MAX_UNPACKED`` (e.g. ``64G``) or :data:`MAX_UNPACKED`."""
    text = os.environ.get("BENCH_MAX_UNPACKED")
    return MAX_UNPACKED if not text else parse_count(text, "BENCH_MAX_UNPACKED")


class _Unpacker:
    """Writes checked members under ``folder``, counting bytes against ``limit``."""

    def __init__(self, archive: Path, folder: Path, limit: int):
        self.archive, self.folder, self.limit = archive, folder.resolve(), limit
        self.declared = self.written = 0

    def refuse(self, why: str) -> BenchError:
        return BenchError(f"{self.archive.name} {why}; not unpacked (nothing kept)")

    def target(self, name: str) -> Path:
        """The path a member may be written to, or a refusal: absolute, ``..`` or outside."""
        parts = Path(name.replace("\\", "/")).parts
        if not parts or name.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts:
            raise self.refuse(f"holds an unsafe path {name!r}")
        path = (self.folder / Path(*parts)).resolve()
        if not path.is_relative_to(self.folder) or path == self.folder:
            raise self.refuse(f"holds a path outside the destination {name!r}")
        return path

    def declare(self, name: str, size: int) -> None:
        self.declared += max(size, 0)
        if self.declared > self.limit:
            raise self.refuse(f"unpacks to more than {self.limit:,} bytes (at {name!r}); set "
                              "BENCH_MAX_UNPACKED to raise the cap if you trust the source")

    def directory(self, name: str) -> None:
        self.target(name).mkdir(parents=True, exist_ok=True)

    def file(self, name: str, size: int, source: IO[bytes]) -> None:
        path = self.target(name)
        self.declare(name, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_NOFOLLOW: never write through a link, even one that could not have come from us
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(path, flags, 0o644), "wb") as out:
            for block in iter(lambda: source.read(BLOCK), b""):
                self.written += len(block)
                if self.written > self.limit:
                    raise self.refuse(f"unpacks to more than {self.limit:,} bytes (at {name!r}); "
                                      "set BENCH_MAX_UNPACKED to raise the cap if you trust it")
                out.write(block)


def _untar(archive: Path, unpacker: _Unpacker) -> None:
    with tarfile.open(archive) as tar:
        for member in tar:  # streamed: each member is checked before anything of it is written
            if member.issym() or member.islnk():
                raise unpacker.refuse(f"holds a link member {member.name!r} -> "
                                      f"{member.linkname!r}")
            if member.isdir():
                unpacker.directory(member.name)
            elif member.isfile():
                source = tar.extractfile(member)
                unpacker.file(member.name, member.size, source)
            else:
                raise unpacker.refuse(f"holds a special member {member.name!r} (device or FIFO)")


def _unzip(archive: Path, unpacker: _Unpacker) -> None:
    with zipfile.ZipFile(archive) as zipped:
        members = zipped.infolist()
        for info in members:  # every name, link bit and size checked before any byte is written
            unpacker.target(info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise unpacker.refuse(f"holds a link member {info.filename!r}")
        for info in members:
            unpacker.declare(info.filename, info.file_size)
        unpacker.declared = 0
        for info in members:
            if info.is_dir():
                unpacker.directory(info.filename)
            else:
                with zipped.open(info) as source:
                    unpacker.file(info.filename, info.file_size, source)


def unpack(archive: Path, folder: Path, *, limit: int | None = None) -> bool:
    """Unpack a .tar(.gz, .bz2, .xz) or .zip into ``folder``; False for any other file.

    Every member is checked by this function, before any of its bytes are written: links
    (symbolic or hard) and special files are refused, and so is any path that is absolute,
    holds ``..`` or resolves outside ``folder``. The sum of the members' declared sizes and the
    bytes actually written are each capped at ``limit`` (default :func:`max_unpacked`).

    Raises
    ------
    BenchError
        For an unsafe member or an archive over the cap; the caller removes ``folder``.
    """
    limit = max_unpacked() if limit is None else limit
    if tarfile.is_tarfile(archive):
        _untar(archive, _Unpacker(archive, folder, limit))
        return True
    if zipfile.is_zipfile(archive):
        _unzip(archive, _Unpacker(archive, folder, limit))
        return True
    return False


def _created_parents(folder: Path) -> list[Path]:
    """Create ``folder``'s missing ancestors; the ones made, innermost first."""
    missing = []
    for parent in folder.parents:
        if parent.exists():
            break
        missing.append(parent)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_created(work: Path, parents: list[Path]) -> None:
    """Remove the work folder (ours) and the ancestors this fetch made, if they are empty."""
    shutil.rmtree(work, ignore_errors=True)
    for parent in parents:
        try:
            parent.rmdir()
        except OSError:  # something else was put there meanwhile: not ours to remove
            break


def fetch(card: Card, *, timeout: float = TIMEOUT, limit: int | None = None) -> Path:
    """Download and unpack the card's files into its folder; returns the folder.

    Raises
    ------
    BenchError
        Offline (within ``timeout``), for a source without anonymous download, on a checksum
        mismatch or an unsafe archive; the message says where to put the files by hand. On
        failure nothing this call created is left, and nothing it did not create is removed.
    """
    shipped = (card.loader.path or "").startswith(PACKAGE_PREFIX)  # a file inside a package
    if shipped or not (card.loader.path or card.local.folder or os.environ.get(env_name(card))):
        raise BenchError(f"dataset {card.name!r} has nothing to fetch: its loader "
                         f"{card.loader.kind!r} reads an installed package; use it as it is, "
                         f"e.g. 'bench data info {card.name}'")
    target = card_location(card)
    if target.is_dir() and any(target.iterdir()):
        return target
    if target.exists() and not target.is_dir():
        raise BenchError(f"{target} exists and is not a folder; move it away or set "
                         f"{env_name(card)}=/path/to/the/files")
    urls, sums = card.fetch.urls, card.fetch.md5
    if not urls:
        raise BenchError(f"{card.name} cannot be downloaded automatically: "
                         + by_hand(card, target))
    try:
        parents = _created_parents(target)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial",
                                     dir=target.parent))
    except OSError as error:
        raise BenchError(f"cannot create {target}: {error.strerror or error}; set BENCH_DATA "
                         "to a writable folder") from None
    try:
        files = work / "files"
        files.mkdir()
        for index, url in enumerate(urls):
            _fetch_one(card, url, sums[index] if index < len(sums) else None, work, files,
                       target, timeout=timeout, limit=limit, index=index)
        if target.is_dir():  # an empty folder made by hand: fill it, never replace it
            for item in files.iterdir():
                item.rename(target / item.name)
        else:
            files.rename(target)
    except BaseException:
        _remove_created(work, parents)
        raise
    shutil.rmtree(work, ignore_errors=True)
    return target


def _fetch_one(card: Card, url: str, md5: str | None, work: Path, files: Path, target: Path,
               *, timeout: float, limit: int | None, index: int) -> None:
    """Download one URL into ``work``, check its MD5 and unpack it (or keep it) in ``files``."""
    name = Path(urllib.parse.urlsplit(url).path).name or f"download-{index}"
    downloads = work / f"download-{index}"
    downloads.mkdir()
    try:
        path = download(url, downloads / name, timeout=timeout)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise BenchError(f"cannot download {url} ({reason}); offline? Instead, "
                         + by_hand(card, target)) from None
    if md5 and md5sum(path) != md5:
        raise BenchError(f"{name}: MD5 {md5sum(path)} differs from the published "
                         f"{md5}; the download is damaged or changed, try again")
    try:
        unpacked = unpack(path, files, limit=limit)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise BenchError(f"cannot unpack {name} ({type(error).__name__}: {error}); "
                         "the download is damaged, try again") from None
    if unpacked:
        path.unlink()
    else:
        path.rename(files / name)
