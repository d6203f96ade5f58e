"""The benchmark's workflows: the multi-step jobs behind ``bench``'s subcommands, as functions.

Each takes typed keyword arguments named like the command's options, returns a result object
(per-image metrics as a pandas DataFrame, the paths written, the sweeps' outcomes) and prints
nothing: steps are reported only through an optional ``progress`` callback (and a progress bar
when ``progress_bar=True``). The command line parses, calls one of these and prints.

========  ===================  ===========================================================
function  command              returns
========  ===================  ===========================================================
run       ``bench run``        :class:`RunResult`: the sweep's outcome and per-image cells
report    ``bench report``     :class:`ReportResult`: Tables 1-2 (frames, files), the page
fair      ``bench fair``       :class:`FairResult`: the fair tables, tuned choices, sweeps
curves    ``bench curves``     :class:`CurvesResult`: the Figure 3 PNGs, what was not drawn
train     ``bench train``      :class:`TrainResult`: the checkpoint and training summary
pretrain  ``bench pretrain``   :class:`TrainResult`
ablate    ``bench ablate``     :class:`AblateResult`: one row a variant, the table written
========  ===================  ===========================================================

``generalisation`` (part of ``bench report``) returns a :class:`GeneralisationResult`: every
deep model and the fair classical baseline on data beyond their training set.

Layering: this package sits above :mod:`benchmark.report`, :mod:`benchmark.engine`,
:mod:`benchmark.data` and :mod:`benchmark.core`; none of them imports it.
"""

from benchmark.workflows._curves import DEFAULT_SIGMAS, CurvesResult, curves
from benchmark.workflows._fair import FairResult, FairTable, fair
from benchmark.workflows._generalise import GeneralisationResult, generalisation
from benchmark.workflows._report import ReportResult, TableResult, report
from benchmark.workflows._run import RunResult, run
from benchmark.workflows._split import Subset, load_split
from benchmark.workflows._train import (AblateResult, Budget, TrainResult, ablate, parse_noises,
                                        pretrain, train)

__all__ = ["run", "report", "fair", "curves", "train", "pretrain", "ablate", "generalisation",
           "load_split", "GeneralisationResult",
           "parse_noises", "RunResult", "ReportResult", "TableResult", "FairResult",
           "FairTable", "CurvesResult", "TrainResult", "AblateResult", "Budget", "Subset",
           "DEFAULT_SIGMAS"]
