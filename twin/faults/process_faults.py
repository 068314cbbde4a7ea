"""Process faults: the physics changes (a unit disturbance of the fault's name, ``kind.parameter``)."""

from __future__ import annotations

from typing import Literal

from twin.faults.base import DisturbanceFault


class ProcessFault(DisturbanceFault):
    """The family base: the fault sets the unit disturbance of its own name."""

    family = "process"


class Contamination(ProcessFault):
    kind: Literal["contamination"] = "contamination"
    magnitude_help = "fraction of the specific growth rate lost to a contaminant or inhibitor, 0 to 1"


class FeedConcentration(ProcessFault):
    kind: Literal["feed_concentration"] = "feed_concentration"
    magnitude_help = "relative error of the feed concentration, -0.9 to 1 (-0.2 = 20 % too dilute)"


class Fouling(ProcessFault):
    kind: Literal["fouling"] = "fouling"
    magnitude_help = "fraction of the heat-transfer (or kLa) coefficient lost, 0 to 0.95"


class Leak(ProcessFault):
    kind: Literal["leak"] = "leak"
    magnitude_help = "leak flow, in the unit's flow unit (l/min, l/h...)"
