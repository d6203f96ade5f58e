"""``bench data``: ``info`` (what would be loaded), ``convert`` (DICOM -> PNG), ``fetch`` (cards)."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmark.cli.common import add_limit_options, limits, positive_float
from benchmark.core.errors import BenchError


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("data", help="inspect, convert or fetch medical images")
    actions = parser.add_subparsers(dest="action", metavar="{info,convert,fetch}", required=True,
                                    parser_class=type(parser))

    info = actions.add_parser("info", help="what a path or card would load: count, shape, dtype, "
                                           "modality, intensity range, normalisation")
    info.add_argument("source", metavar="PATH|CARD",
                      help="a DICOM/NIfTI/image file or folder, or a dataset card name")
    info.add_argument("--split", default=None, help="split of a card (default: test; a path: all)")
    info.add_argument("--window", default=None, help="CT window (see 'bench run --help')")
    info.add_argument("--strict", action="store_true", help="skipped inputs are errors")
    add_limit_options(info)

    convert = actions.add_parser("convert", help="DICOM (or NIfTI) to PNG with correct windowing")
    convert.add_argument("source", type=Path, metavar="SRC", help="DICOM file or folder")
    convert.add_argument("destination", type=Path, metavar="DST", help="new folder for the PNGs")
    convert.add_argument("--window", default=None,
                         help="CT window: brain, subdural, abdomen, lung, bone, file (default) "
                              "or CENTRE,WIDTH in HU (--window=-600,1500 for a negative centre)")
    convert.add_argument("--bits", type=int, choices=(8, 16), default=8,
                         help="PNG bit depth (default: 8)")
    convert.add_argument("--strict", action="store_true", help="skipped inputs are errors")
    add_limit_options(convert)

    fetch = actions.add_parser("fetch", help="download a dataset card's files (or say where to "
                                             "put them by hand)")
    fetch.add_argument("name", metavar="CARD",
                       help="dataset card: a shipped card's name or a .toml file")
    fetch.add_argument("--timeout", type=positive_float, default=5.0,
                       help="seconds before a connection counts as offline (default: 5)")
    fetch.add_argument("--max-unpacked", metavar="BYTES", default=None,
                       help="most bytes an archive may unpack to (default 32G, or "
                            "$BENCH_MAX_UNPACKED; K/M/G suffixes allowed)")
    return parser


def run(args: argparse.Namespace) -> int:
    return {"info": info, "convert": convert, "fetch": fetch}[args.action](args)


def _card(source: str, *, window: str | None, strict: bool, sizes: dict):
    from benchmark.data.cards import card_names, load_card
    from benchmark.data.loaders.detect import path_card

    if Path(source).exists() and not source.endswith(".toml"):
        return path_card(source, window=window, strict=strict).with_loader(**sizes), True
    if source not in card_names() and not source.endswith(".toml"):
        raise BenchError(f"{source} is neither an existing path nor a dataset card "
                         f"({', '.join(card_names())})")
    if window:
        raise BenchError("--window applies to a path; a card sets its window in [normalisation]")
    card = load_card(source)
    return card.with_loader(strict=card.loader.strict or strict, **sizes), False


def info(args: argparse.Namespace) -> int:
    from benchmark.data.info import describe

    card, is_path = _card(args.source, window=args.window, strict=args.strict,
                          sizes=limits(args))
    split = args.split or ("all" if is_path else "test")
    print("\n".join(describe(card, split).lines()))
    return 0


def convert(args: argparse.Namespace) -> int:
    from benchmark.data.convert import convert as write_pngs
    from benchmark.data.loaders.common import skipped_line
    from benchmark.data.loaders.detect import path_card

    card = path_card(args.source, window=args.window, strict=args.strict)
    card = card.with_loader(**limits(args))
    scan, folder = write_pngs(card, args.destination, bits=args.bits)
    print(f"{len(scan.ids)} PNG ({args.bits}-bit) -> {folder}; normalisation: {scan.normalisation}")
    if scan.skipped:
        print(skipped_line(scan, str(args.source)))
    return 0


def fetch(args: argparse.Namespace) -> int:
    from benchmark.data.cards import load_card
    from benchmark.data.fetch import fetch as download

    from benchmark.data.limits import parse_count

    card = load_card(args.name)
    cap = parse_count(args.max_unpacked, "--max-unpacked") if args.max_unpacked else None
    folder = download(card, timeout=args.timeout, limit=cap)
    print(f"{card.name}: files in {folder}; try 'bench data info {card.name}'")
    return 0
