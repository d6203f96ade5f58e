"""The ``bench`` command line. One module a subcommand, listed in :data:`SUBCOMMANDS`.

Each subcommand module has ``add_parser(subparsers)`` and ``run(args) -> int``. Bad input gets
one line naming the value and the fix, exit status 2, no traceback. The engine never imports
this package.
"""

from __future__ import annotations

import os
import shlex
import sys
from importlib import import_module
from typing import Sequence

from benchmark.cli.common import Parser
from benchmark.core.errors import BenchError

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: What a shell reports for a command ended by SIGPIPE (128 + 13): ``bench ... | head -1``.
EXIT_BROKEN_PIPE = 141

#: Subcommand modules of :mod:`benchmark.cli`, in the order ``bench --help`` lists them.
SUBCOMMANDS = ("run", "report", "methods", "export", "check", "curves", "data", "fair", "train",
               "pretrain", "ablate")


def build_parser() -> Parser:
    """The full argument parser, with every subcommand."""
    parser = Parser(prog="bench", description="Reference benchmark for medical image denoising.")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in SUBCOMMANDS:
        module = import_module(f"benchmark.cli.{name.replace('-', '_')}")
        module.add_parser(subparsers).set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bench`` with ``argv`` (default: the process arguments); returns the exit status."""
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        args = build_parser().parse_args(argv)
        args.command_line = shlex.join(["bench", *argv])
        return args.handler(args)
    except BenchError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("bench: interrupted; finished cells are saved, run the same command to resume",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly; stdout now goes nowhere so that
        # Python's final flush does not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except MemoryError:
        print("bench: error: out of memory; use fewer or smaller images (--limit), fewer --jobs, "
              "or a machine with more memory", file=sys.stderr)
        return EXIT_USAGE


def entry() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())
