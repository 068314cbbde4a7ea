"""``gmp-twin analyze ...``: SPC, PCA and OEE on arbitrary CSV files (learner projects).

Sub-commands (each prints a readable summary in ``--lang fr|en``, default ``GMP_TWIN_LANG`` then
``LANG``, or language-neutral JSON with ``--json``):

``gmp-twin analyze spc --data FILE (--column COL ... | --all-columns) --method shewhart|ewma|cusum
[--mean M --sigma S | --reference-rows N | --lsl A --usl B] [--lambda λ --L L | --k K --h H]
[--rules we|nelson|none] [--residuals ar1|ewma]``
    Each column is an independent series, diagnosed first (autocorrelation, trend, held
    values: a warning names the remedy, which ``--residuals`` runs).
    JSON: ``{"file", "columns": {name: chart}}``
    where a chart is :meth:`analytics.spc.ChartResult.to_dict` (statistic, centre and
    limits per row, alarm rows with the rules that fired, first alarm, rules applied).

``gmp-twin analyze pca --reference REF --data TEST [--normal NORMAL] [--components K | --variance V |
--component-rule parallel|cv] [--alpha A] [--limits cv|empirical|analytic] [--calibration CAL] [--lags L]``
    JSON: variables, dropped columns, components and the rule that chose them, limits and
    their sources, expected/held-out/observed false-alarm rates, per row T², SPE, φ and alarm
    flags, and for every alarm row the top contributing variables.

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
from gmp_twin.analyze.pca import add_parser as add_pca_parser
from gmp_twin.analyze.report import guard
from gmp_twin.analyze.spc import add_parser as add_spc_parser
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

    add_spc_parser(cmds)
    add_pca_parser(cmds)

    oee = cmds.add_parser(
        "oee",
        help="OEE (ISO 22400-2) from PackML states and counters",
        description="OEE = availability × performance × quality from a PackML state "
        "log and production counters (formats: see the module docs).",
    )
    oee.add_argument(
        "--states",
        required=True,
        help="CSV: timestamp,machine,state[,cause]; or a `gmp-twin simulate --unit line-1` file (.csv or .parquet)",
    )
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
