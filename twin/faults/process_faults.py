"""Process faults: the physics changes (a unit disturbance of the fault's name, ``kind.parameter``)."""

from __future__ import annotations

from typing import Literal

from twin.faults.base import DisturbanceFault


class Contamination(DisturbanceFault):
    kind: Literal["contamination"] = "contamination"
    family = "process"
    magnitude_help = "fraction of the specific growth rate lost to a contaminant or inhibitor, 0 to 1"


class FeedConcentration(DisturbanceFault):
    kind: Literal["feed_concentration"] = "feed_concentration"
    family = "process"
    magnitude_help = "relative error of the feed concentration, -0.9 to 1 (-0.2 = 20 % too dilute)"


class Fouling(DisturbanceFault):
    kind: Literal["fouling"] = "fouling"
    family = "process"
    magnitude_help = "fraction of the heat-transfer (or kLa) coefficient lost, 0 to 0.95"


class Leak(DisturbanceFault):
    kind: Literal["leak"] = "leak"
    family = "process"
    magnitude_help = "leak flow, in the unit's flow unit (l/min, l/h...)"
