"""Keep the README's Tables 1-2 equal to the committed report.

The README holds each table between two markers::

    <!-- table1:start -->
    (generated)
    <!-- table1:end -->

:func:`table_block` makes the text in between from ``reports/table1.md``: the file's title as
a level-3 heading, its Markdown table verbatim, and a link to the file for its notes (data,
metric definitions, each method's parameters). Run it from the checkout root after
``bench report`` has rewritten the default report::

    python -m benchmark.report.readme            # rewrite README.md in place
    python -m benchmark.report.readme --check    # exit 1 when README.md is out of date
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from benchmark.core.errors import BenchError

#: The report files mirrored in the README, by marker name.
TABLES: tuple[str, ...] = ("table1", "table2")

EXIT_OUT_OF_DATE = 1
EXIT_USAGE = 2


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of table ``name`` in the README."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def table_block(report: str, link: str) -> str:
    """The README block for one report file.

    Parameters
    ----------
    report : str
        Text of a report table file such as ``reports/table1.md``: a ``# `` title, then a
        Markdown table, then notes.
    link : str
        Relative link from the README to that file.

    Returns
    -------
    str
        The title as a ``###`` heading, a blank line, the table's rows unchanged, a blank line
        and a line linking to the file; no trailing newline.

    Examples
    --------
    >>> print(table_block("# Table 9: demo\\n\\n| a |\\n|---|\\n| 1 |\\n\\n- a note\\n", "t.md"))
    ### Table 9: demo
    <BLANKLINE>
    | a |
    |---|
    | 1 |
    <BLANKLINE>
    Notes (data, metrics, each method's parameters): [t.md](t.md).
    """
    lines = report.splitlines()
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), None)
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), None)
    if title is None or start is None:
        raise BenchError(
            f"{link} has no '# ' title or no Markdown table; rewrite it with bench report")
    stop = start
    while stop < len(lines) and lines[stop].startswith("|"):
        stop += 1
    return "\n".join([f"### {title}", "", *lines[start:stop], "",
                      f"Notes (data, metrics, each method's parameters): [{link}]({link})."])


def replace_between(text: str, name: str, block: str) -> str:
    """``text`` with everything between table ``name``'s markers replaced by ``block``.

    The markers themselves and everything outside them are kept unchanged.
    """
    start, end = markers(name)
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    found = pattern.findall(text)
    if len(found) != 1:
        raise BenchError(
            f"the README must hold the markers {start} ... {end} exactly once (found "
            f"{len(found)}); put them where the table goes"
        )
    return pattern.sub(lambda _: f"{start}\n{block}\n{end}", text)


def render(readme: Path, reports: Path) -> str:
    """The README's text with every table of :data:`TABLES` regenerated from ``reports``."""
    if not readme.is_file():
        raise BenchError(f"README {readme} not found; run from the checkout root or pass --readme")
    text = readme.read_text(encoding="utf-8")
    for name in TABLES:
        source = reports / f"{name}.md"
        if not source.is_file():
            raise BenchError(f"{source} not found; run bench report first, or pass --reports DIR")
        link = Path(os.path.relpath(source, readme.resolve().parent)).as_posix()
        text = replace_between(text, name, table_block(source.read_text(encoding="utf-8"), link))
    return text


def write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (a reader never sees half a file)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with ``--check`` compare) the README's tables; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmark.report.readme",
        description="Regenerate the README's Tables 1-2 from the report's table files.")
    parser.add_argument("--readme", type=Path, default=Path("README.md"),
                        help="the README to update (default: README.md)")
    parser.add_argument("--reports", type=Path, default=Path("reports"),
                        help="folder holding table1.md and table2.md (default: reports)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when the README's tables are out of date")
    args = parser.parse_args(argv)
    try:
        current = args.readme.read_text(encoding="utf-8") if args.readme.is_file() else None
        wanted = render(args.readme, args.reports)
        if wanted == current:
            return 0
        if args.check:
            print(f"{args.readme} is out of date with {args.reports}/; update it with: "
                  "python -m benchmark.report.readme", file=sys.stderr)
            return EXIT_OUT_OF_DATE
        write(args.readme, wanted)
        print(f"{args.readme}: Tables 1-2 regenerated from {args.reports}/")
        return 0
    except (BenchError, OSError, UnicodeDecodeError) as error:
        print(f"readme: error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
