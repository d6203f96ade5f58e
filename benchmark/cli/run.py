"""``bench run``: sweep methods x noise levels over a dataset split into the store."""

from __future__ import annotations

import argparse

from benchmark.cli.common import (add_data_options, add_run_options, load_split, make_noises,
                                  print_means, sweep)


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("run", help="sweep methods x noise levels over a dataset split")
    parser.add_argument("--noise", required=True, help="noise kind: gaussian or rician")
    parser.add_argument("--sigma", required=True, nargs="+", metavar="SIGMA",
                        help="one or more noise levels, fractions of the [0, 1] range (e.g. 0.11)")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="denoisers to run (default: all; see 'bench methods')")
    add_data_options(parser)
    add_run_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from benchmark.core.registry import resolve_methods

    noises = make_noises(args.noise, args.sigma)
    methods = resolve_methods(args.methods)
    split = load_split(args)  # read once for the sweep and the means
    code = sweep(args, noises, methods, split=split)
    print_means(args, noises, methods, split=split)
    return code
