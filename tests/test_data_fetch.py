"""``bench data fetch`` unpacks only what is safe, caps the size, and cleans up only after itself.

Archives are made here and served through ``file://`` URLs (no network needed).
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from benchmark.cli import main
from benchmark.core.errors import BenchError
from benchmark.data.fetch import _Unpacker, fetch
from benchmark.data.schema import parse_card


def toy_card(tmp_path: Path, archive: Path, monkeypatch):
    monkeypatch.setenv("BENCH_DATA", str(tmp_path / "data"))
    spec = {"name": "toy", "loader": {"kind": "nifti"}, "local": {"folder": "toy"},
            "fetch": {"urls": [archive.as_uri()]}}
    return parse_card(spec, source="toy", root=tmp_path)


def add(tar: tarfile.TarFile, name: str, data: bytes = b"x", **fields) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if fields.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else 0
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.size else None)


def make_tar(path: Path, members) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data, fields in members:
            add(tar, name, data, **fields)
    return path


def evil_members(outside: Path):
    return {
        "absolute": [("ok.txt", b"ok", {}), (str(outside / "abs.txt"), b"evil", {})],
        "dotdot": [("ok.txt", b"ok", {}), ("sub/../../../outside/dotdot.txt", b"evil", {})],
        "symlink-then-file": [("link", b"", {"type": tarfile.SYMTYPE, "linkname": str(outside)}),
                              ("link/through.txt", b"evil", {})],
        "hardlink": [("hard", b"", {"type": tarfile.LNKTYPE, "linkname": str(outside / "t")})],
        # relative links that stay inside (filter="data" lets them through): refused all the same
        "link-chain": [*[(f"{'d/' * k}l", b"", {"type": tarfile.SYMTYPE, "linkname": "../" * k})
                         for k in range(1, 4)], ("d/d/d/l/x/escape.txt", b"evil", {})],
        "fifo": [("pipe", b"", {"type": tarfile.FIFOTYPE})],
        "oversize": [("a.bin", bytes(600), {}), ("b.bin", bytes(600), {})],
    }


CASES = ["absolute", "dotdot", "symlink-then-file", "hardlink", "link-chain", "fifo", "oversize"]
EXPECTED = {"absolute": "unsafe path", "dotdot": "unsafe path", "symlink-then-file": "link member",
            "hardlink": "link member", "link-chain": "link member", "fifo": "special member",
            "oversize": "more than 1,000 bytes"}


@pytest.mark.parametrize("case", CASES)
def test_an_unsafe_tar_is_refused_and_nothing_is_left(tmp_path, monkeypatch, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = make_tar(tmp_path / "evil.tar.gz", evil_members(outside)[case])
    card = toy_card(tmp_path, archive, monkeypatch)
    with pytest.raises(BenchError, match=EXPECTED[case]):
        fetch(card, limit=1000)
    assert list(outside.iterdir()) == []  # nothing written outside the destination
    assert not (tmp_path / "data").exists()  # nor anything left behind inside


def realpath_limit_attack(path: Path, destination: Path) -> Path:
    """CPython's test_realpath_limit_attack (CVE-2025-4517): links whose expansion overflows
    PATH_MAX, so that ``filter="data"`` checks a path that is not the one written."""
    import os

    steps = "abcdefghijklmnop"
    length = (os.pathconf(destination.parent, "PC_PATH_MAX") - len(str(destination)) - 1) // (
        len(steps) + 1)
    component = "d" * length
    with tarfile.open(path, "w") as tar:
        parent = ""
        for step in steps:
            add(tar, os.path.join(parent, component), type=tarfile.DIRTYPE, mode=0o777)
            add(tar, os.path.join(parent, step), type=tarfile.SYMTYPE, linkname=component)
            parent = os.path.join(parent, component)
        link = os.path.join(*steps, "l" * 254)
        add(tar, link, type=tarfile.SYMTYPE, linkname=os.path.join(*[".."] * len(steps)))
        add(tar, "escape", type=tarfile.SYMTYPE, linkname=os.path.join(link, ".."))
        add(tar, "escape/newfile", b"new")
    return path


def test_the_realpath_limit_attack_writes_nothing_outside(tmp_path):
    from benchmark.data.fetch import unpack

    destination = tmp_path / "dest"
    destination.mkdir()
    archive = realpath_limit_attack(tmp_path / "attack.tar", destination)
    with pytest.raises(BenchError, match="link member"):
        unpack(archive, destination)
    assert not (tmp_path / "newfile").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attack.tar", "dest"]


def test_the_bytes_written_are_capped_even_when_the_sizes_lie(tmp_path):
    unpacker = _Unpacker(tmp_path / "a.tar", tmp_path, limit=1000)
    with pytest.raises(BenchError, match="more than 1,000 bytes"):
        unpacker.file("big.bin", 10, io.BytesIO(bytes(5000)))  # declares 10, yields 5000
    assert (tmp_path / "big.bin").stat().st_size <= 1000


@pytest.mark.parametrize("case", ["absolute", "dotdot", "symlink", "oversize"])
def test_an_unsafe_zip_is_refused_before_a_byte_is_written(tmp_path, monkeypatch, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ok.txt", b"ok")
        if case == "absolute":
            info = zipfile.ZipInfo("x")
            info.filename = str(outside / "abs.txt")  # ZipInfo() itself strips a leading /
            zipped.writestr(info, b"evil")
        elif case == "dotdot":
            zipped.writestr("../outside/dotdot.txt", b"evil")
        elif case == "symlink":
            info = zipfile.ZipInfo("link")
            info.external_attr = (0o120777 << 16)
            zipped.writestr(info, str(outside))
        else:
            zipped.writestr("big.bin", bytes(5000))
    card = toy_card(tmp_path, archive, monkeypatch)
    with pytest.raises(BenchError, match="not unpacked"):
        fetch(card, limit=1000)
    assert list(outside.iterdir()) == [] and not (tmp_path / "data").exists()


def test_a_safe_archive_fills_a_folder_made_by_hand_and_keeps_a_users_partial(tmp_path,
                                                                            monkeypatch):
    archive = make_tar(tmp_path / "ok.tar", [("sub/a.txt", b"a", {}), ("b.txt", b"b", {})])
    card = toy_card(tmp_path, archive, monkeypatch)
    target = tmp_path / "data" / "toy"
    target.mkdir(parents=True)
    users = tmp_path / "data" / "toy.partial"
    users.mkdir()
    (users / "notes.txt").write_text("mine")
    assert fetch(card) == target
    assert (target / "sub" / "a.txt").read_bytes() == b"a" and (target / "b.txt").is_file()
    assert (users / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["toy", "toy.partial"]


def test_a_failed_fetch_removes_only_what_it_made(tmp_path, monkeypatch):
    card = toy_card(tmp_path, tmp_path / "missing.tar", monkeypatch)  # the download fails
    target = tmp_path / "data" / "toy"
    target.mkdir(parents=True)  # an empty folder of the user's: kept
    with pytest.raises(BenchError, match="cannot download"):
        fetch(card)
    assert target.is_dir() and sorted(p.name for p in target.parent.iterdir()) == ["toy"]


def test_offline_fetch_leaves_no_folder_behind(tmp_path, monkeypatch):
    spec = {"name": "toy", "loader": {"kind": "nifti"}, "local": {"folder": "deep/toy"},
            "fetch": {"urls": ["http://127.0.0.1:9/toy.tar"]}}
    monkeypatch.setenv("BENCH_DATA", str(tmp_path / "data"))
    with pytest.raises(BenchError, match="offline"):
        fetch(parse_card(spec, source="toy", root=tmp_path), timeout=2)
    assert list(tmp_path.iterdir()) == []


def test_the_cli_refuses_an_oversize_archive_in_one_line(tmp_path, capsys, monkeypatch):
    archive = make_tar(tmp_path / "big.tar.gz", [("a.bin", bytes(1 << 20), {})])
    card = tmp_path / "toy.toml"
    card.write_text(f'[loader]\nkind = "nifti"\n[local]\nfolder = "toy"\n'
                    f'[fetch]\nurls = ["{archive.as_uri()}"]\n')
    monkeypatch.setenv("BENCH_DATA", str(tmp_path / "data"))
    code = main(["data", "fetch", str(card), "--max-unpacked", "100K"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "more than 100,000 bytes" in err
    assert not (tmp_path / "data").exists()
