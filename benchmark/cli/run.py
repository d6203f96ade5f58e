"""``bench run``: sweep methods x noise levels over a dataset split into the store."""

from __future__ import annotations

import argparse

from benchmark.cli.common import (add_data_options, add_run_options, add_volumes_option,
                                  data_options, positive_float, positive_int, print_sweep,
                                  run_options)

#: The precisions of :data:`benchmark.core.contract.PRECISIONS` (not imported: start-up time).
PRECISIONS = ("fp32", "bf16", "fp16")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("run", help="sweep methods x noise levels over a dataset split")
    parser.add_argument("--noise", required=True,
                        help="noise kind: gaussian, rician, ncchi4, ncchi8, ncchi32, poisson, "
                             "speckle, ldct (docs/noise.md)")
    parser.add_argument("--sigma", required=True, nargs="+", metavar="SIGMA",
                        help="one or more noise levels in the kind's unit: a fraction of the "
                             "[0, 1] range (e.g. 0.11), peak photons (poisson), looks "
                             "(speckle), dose fraction (ldct)")
    parser.add_argument("--methods", nargs="+", metavar="NAME",
                        help="denoisers to run (default: all; see 'bench methods')")
    add_data_options(parser)
    add_volumes_option(parser)
    add_run_options(parser)
    parser.add_argument("--cell-timeout", type=positive_float, metavar="SECONDS", default=None,
                        help="give up a cell after this many seconds in a worker: recorded as "
                             "failed, the workers replaced (default: no limit)")
    parser.add_argument("--batch-size", type=positive_int, metavar="N", default=None,
                        help="images per call of a deep model, whose cells are computed in "
                             "batches (default: 16 on a CPU, from free memory on a GPU)")
    parser.add_argument("--precision", default="fp32", choices=PRECISIONS,
                        help="numeric precision of the deep models (default fp32, the tables' "
                             "setting); bf16/fp16 cells are stored under a config of their own")
    return parser


def kind_dataset(kind: str) -> str:
    """The card a run without ``--dataset`` uses: the noise kind's own ``default_dataset``
    (``us-phantom`` for speckle, ``ct-phantom`` for ldct, ``mni152`` for the MRI kinds)."""
    from benchmark.core.noise import get_noise_model

    return get_noise_model(kind).default_dataset


def run(args: argparse.Namespace) -> int:
    from benchmark.workflows import run as run_workflow

    options = data_options(args)
    if args.dataset is None and args.data is None:
        options["dataset"] = kind_dataset(args.noise)
    result = run_workflow(noise=args.noise, sigma=args.sigma, methods=args.methods,
                          cell_timeout=args.cell_timeout, volumes=args.volumes,
                          batch_size=args.batch_size, precision=args.precision,
                          **options, **run_options(args))
    code = print_sweep(result.sweep, result.store)
    summary = result.summary()
    if summary:
        print(summary)
    return code
