"""``gmp-twin analyze ...``: SPC, PCA and OEE on arbitrary CSV files (learner projects).

Sub-commands (each prints a readable summary in ``--lang fr|en``, default ``GMP_TWIN_LANG`` then
``LANG``, or language-neutral JSON with ``--json``):

``gmp-twin analyze spc --data FILE (--column COL ... | --all-columns) --method shewhart|ewma|cusum
[--mean M --sigma S | --reference-rows N | --lsl A --usl B] [--lambda λ --L L | --k K --h H]
[--rules we|nelson|none]``
    Each column is an independent series. JSON: ``{"file", "columns": {name: chart}}``
    where a chart is :meth:`analytics.spc.ChartResult.to_dict` (statistic, centre and
    limits per row, alarm rows with the rules that fired, first alarm, rules applied).

``gmp-twin analyze pca --reference REF --data TEST [--components K | --variance V]
[--alpha A] [--limits analytic|empirical] [--calibration CAL] [--lags L]``
    JSON: variables, components, limits, per row T², SPE, φ and alarm flags, and for every
    alarm row the top contributing variables.

``gmp-twin analyze oee --states STATES.csv [--counts COUNTS.csv] [--ideal-rate R]``
    JSON: per machine availability, performance, quality, OEE, times, six big losses,
    MTBF/MTTR; line OEE; per period when ``--periods`` is given.

Input files
-----------
*Numeric tables* (spc, pca): CSV (``,`` ``;`` or tab) or whitespace-separated ``.dat``;
a header line unless the first line is all numbers (then columns are ``x1 .. xN``); see
:mod:`analytics.tabular` for missing values and non-numeric columns.

*STATES.csv* — one row per state change, header ``timestamp,machine,state[,cause]``:
``timestamp`` in seconds (any numeric origin) or ISO 8601 (naive = UTC); ``machine``
optional (one machine called ``machine``); ``state`` a PackML state name or OPC 30060
number (Stopped 0 … Execute 4 … Held 15); ``cause`` optional (e.g. why a machine is
Held), used for the breakdown-by-cause. A state lasts until the machine's next row, the
last one until the end of the analysed range.

*COUNTS.csv* — header ``timestamp,machine,produced,good,rejected`` (``machine``
optional; one of ``produced``/``good``/``rejected`` may be left out and is derived from the
other two). Counters are cumulative by default (like PackTags ``ProdProcessedCount``; the
first row is the baseline; a decrease is a counter reset); ``--counts-mode interval`` for
per-interval counts.

*PERIODS.csv* (``--periods``) — header ``name,start,end``: shifts or batches, same time
format as the states.

Row numbers: JSON ``row``/``index`` values are 0-based positions among the data rows of
the file (the header is not counted); the summaries print 1-based data-row numbers.

Errors exit with code 2 and a one-line message that names the file, the column and the fix.
"""

from __future__ import annotations

import argparse
import sys

# pandas, scipy and the analytics modules load only when an analysis runs: every other
# ``gmp-twin`` command builds this parser too and should start fast.
from gmp_twin.analyze.oee import cmd_oee
from gmp_twin.analyze.pca import cmd_pca
from gmp_twin.analyze.report import guard
from gmp_twin.analyze.spc import cmd_spc
from gmp_twin.cli_lang import add_lang_flag


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``analyze`` command and its ``spc``, ``pca`` and ``oee`` sub-commands."""
    parser = sub.add_parser(
        "analyze",
        help="SPC, PCA and OEE on CSV files",
        description="SPC, PCA and OEE on CSV or .dat files (learner projects).",
    )

    def _help(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(handler=_help)
    cmds = parser.add_subparsers(dest="analysis", metavar="ANALYSIS")

    spc = cmds.add_parser(
        "spc",
        help="control charts, one per column",
        description="Univariate control charts; each column is an independent series.",
    )
    spc.add_argument("--data", required=True, help="CSV or .dat file")
    which = spc.add_mutually_exclusive_group()
    which.add_argument("--column", action="append", metavar="COL", help="column to chart (repeatable)")
    which.add_argument("--all-columns", action="store_true", help="chart every numeric column")
    spc.add_argument("--method", required=True, choices=["shewhart", "ewma", "cusum"])
    spc.add_argument("--mean", type=float, help="known in-control mean")
    spc.add_argument("--sigma", type=float, help="known in-control standard deviation")
    spc.add_argument("--reference-rows", type=int, metavar="N", help="estimate mean/sigma from the first N rows")
    spc.add_argument("--lsl", type=float, help="lower specification limit (limits from the specification)")
    spc.add_argument("--usl", type=float, help="upper specification limit")
    spc.add_argument("--cp", type=float, default=1.0, help="capability assumed with --lsl/--usl (default 1)")
    spc.add_argument("--lambda", dest="lambda_", type=float, default=0.2, help="EWMA weight (default 0.2)")
    spc.add_argument("--L", type=float, help="limit width (Shewhart 3; EWMA: designed for ARL0 370)")
    spc.add_argument("--k", type=float, default=0.5, help="CUSUM reference value in sigma (default 0.5)")
    spc.add_argument("--h", type=float, help="CUSUM decision interval (default: designed for ARL0 370)")
    spc.add_argument(
        "--rules",
        choices=["we", "nelson", "none"],
        default="none",
        help="run rules for shewhart (default none: control limits only)",
    )
    spc.add_argument("--drop-non-numeric", action="store_true", help="with --all-columns, skip non-numeric columns")
    spc.add_argument(
        "--drop-missing",
        action="store_true",
        help="skip missing cells (reported; rows keep their numbers) instead of failing",
    )
    spc.add_argument("--json", action="store_true", help="machine-readable output")
    add_lang_flag(spc)
    spc.set_defaults(handler=guard("spc", cmd_spc))

    pca = cmds.add_parser(
        "pca",
        help="multivariate PCA monitoring (T², SPE)",
        description="PCA model on normal reference data; T², SPE and contributions on test data.",
    )
    pca.add_argument("--reference", required=True, help="normal operating data (CSV or .dat)")
    pca.add_argument("--data", required=True, help="data to monitor, same columns")
    comp = pca.add_mutually_exclusive_group()
    comp.add_argument("--components", type=int, metavar="K", help="number of principal components")
    comp.add_argument(
        "--variance",
        type=float,
        default=0.9,
        metavar="V",
        help="choose components explaining this variance fraction (default 0.9)",
    )
    pca.add_argument("--alpha", type=float, default=0.01, help="false-alarm rate of each limit (default 0.01)")
    pca.add_argument(
        "--limits",
        choices=["analytic", "empirical"],
        default="analytic",
        help="analytic (F / Jackson-Mudholkar) or empirical quantiles on normal data",
    )
    pca.add_argument(
        "--calibration",
        help="other normal data for empirical limits (default: 5-fold block cross-validation on the reference)",
    )
    pca.add_argument("--lags", type=int, default=0, help="dynamic PCA: previous rows added to each row")
    pca.add_argument(
        "--signal",
        choices=["either", "t2", "spe", "combined"],
        default="either",
        help="which statistic raises an alarm (default: T² or SPE)",
    )
    pca.add_argument("--column", action="append", metavar="COL", help="use only these columns (repeatable)")
    pca.add_argument("--top", type=int, default=3, help="contributing variables per alarm (default 3)")
    pca.add_argument("--show", type=int, default=10, help="alarm rows printed in the summary (default 10)")
    pca.add_argument("--drop-non-numeric", action="store_true", help="skip non-numeric columns (reported)")
    pca.add_argument("--drop-missing", action="store_true", help="drop rows with missing values (reported)")
    pca.add_argument("--drop-constant", action="store_true", help="drop constant reference columns (reported)")
    pca.add_argument(
        "--transpose-reference",
        action="store_true",
        help="the reference file has one variable per line (as TEP d00.dat)",
    )
    pca.add_argument("--json", action="store_true", help="machine-readable output")
    add_lang_flag(pca)
    pca.set_defaults(handler=guard("pca", cmd_pca))

    oee = cmds.add_parser(
        "oee",
        help="OEE (ISO 22400-2) from PackML states and counters",
        description="OEE = availability × performance × quality from a PackML state "
        "log and production counters (formats: see the module docs).",
    )
    oee.add_argument("--states", required=True, help="CSV: timestamp,machine,state[,cause]")
    oee.add_argument("--counts", help="CSV: timestamp,machine,produced,good,rejected")
    oee.add_argument(
        "--ideal-rate",
        action="append",
        metavar="R|MACHINE=R",
        help="ideal rate in items per minute, for all or one machine (repeatable)",
    )
    oee.add_argument(
        "--counts-mode",
        choices=["cumulative", "interval"],
        default="cumulative",
        help="counters are cumulative (default) or per interval",
    )
    oee.add_argument("--start", help="range start (seconds or ISO 8601; default: first timestamp)")
    oee.add_argument("--end", help="range end (default: last timestamp)")
    oee.add_argument("--small-stop-s", type=float, default=300.0, help="stops shorter are small stops (300)")
    oee.add_argument(
        "--startup-window-s",
        type=float,
        default=300.0,
        help="rejects this long after a start are start-up losses (300)",
    )
    oee.add_argument(
        "--planned-state",
        action="append",
        metavar="STATE",
        help="count this state as planned downtime, outside planned busy time (repeatable)",
    )
    oee.add_argument("--line", metavar="M1,M2,...", help="line order for the line OEE (last = end of line)")
    oee.add_argument("--periods", help="CSV name,start,end: OEE per shift or batch")
    oee.add_argument("--json", action="store_true", help="machine-readable output")
    add_lang_flag(oee)
    oee.set_defaults(handler=guard("oee", cmd_oee))
