"""``bench data fetch NAME``: download a card's files where a network exists; else say where to put them.

A card's ``[fetch]`` table names the ``page`` to read (licence, registration), the direct ``urls``
when the source allows anonymous downloads, their published ``md5`` checksums when there are
some, and ``manual`` steps when it does not (Kaggle, TCIA). Files are downloaded and unpacked in a
``.partial`` sibling of the card's folder and renamed at the end. Without a network the first
connection fails within ``timeout`` seconds with a message naming the folder to fill by hand.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import tarfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from benchmark.core.errors import BenchError
from benchmark.data.loaders.location import card_location, env_name

#: Seconds to wait for name resolution or a connection before calling the machine offline.
TIMEOUT = 5.0


def by_hand(card: dict[str, Any], target: Path) -> str:
    """The sentence that says how to provide the files without ``fetch``."""
    fetch = card.get("fetch", {})
    steps = fetch.get("manual") or f"download {', '.join(fetch.get('urls', [])) or 'the files'}"
    layout = card.get("local", {}).get("layout")
    return (f"{steps.strip().rstrip('.')}; put the files in {target}"
            + (f" ({layout})" if layout else "")
            + f", or set {env_name(card)}=/path/to/them; page: {fetch.get('page', '?')}")


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
        shutil.copyfileobj(response, out, length=1 << 20)
    return target


def md5sum(path: Path) -> str:
    """The MD5 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpack(archive: Path, folder: Path) -> None:
    """Unpack a .tar(.gz) or .zip into ``folder`` (safe paths only); other files are kept as is."""
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        archive.unlink()
    elif zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    raise BenchError(f"{archive.name} holds an unsafe path {member!r}; not unpacked")
            zipped.extractall(folder)
        archive.unlink()


def fetch(card: dict[str, Any], *, timeout: float = TIMEOUT) -> Path:
    """Download and unpack the card's files into its folder; returns the folder.

    Raises
    ------
    BenchError
        Offline (within ``timeout``), for a source without anonymous download, or on a checksum
        mismatch; the message says where to put the files by hand.
    """
    target = card_location(card)
    if target.is_dir() and any(target.iterdir()):
        return target
    fetch_spec = card.get("fetch", {})
    urls, sums = fetch_spec.get("urls", []), fetch_spec.get("md5", [])
    if not urls:
        raise BenchError(f"{card['name']} cannot be downloaded automatically: "
                         + by_hand(card, target))
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        for index, url in enumerate(urls):
            name = Path(urllib.parse.urlsplit(url).path).name or f"download-{index}"
            try:
                path = download(url, partial / name, timeout=timeout)
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise BenchError(f"cannot download {url} ({reason}); offline? Instead, "
                                 + by_hand(card, target)) from None
            if index < len(sums) and sums[index] and md5sum(path) != sums[index]:
                raise BenchError(f"{name}: MD5 {md5sum(path)} differs from the published "
                                 f"{sums[index]}; the download is damaged or changed, try again")
            try:
                unpack(path, partial)
            except (tarfile.TarError, zipfile.BadZipFile, OSError) as error:
                raise BenchError(f"cannot unpack {name} ({type(error).__name__}: {error}); "
                                 "the download is damaged, try again") from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if target.exists():
        target.rmdir()  # an empty folder left by hand
    partial.rename(target)
    return target
