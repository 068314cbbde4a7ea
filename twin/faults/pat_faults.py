"""PAT faults: the in-line analyser's model meets what it was not calibrated for.

``raman_out_of_calibration``: a new raw-material lot (a glucose syrup of lower dextrose
equivalent, say) brings an interferent that no calibration lot had, with Raman bands of its
own (:data:`models.pat.INTERFERENT_BANDS`). The process does not change; the spectra do, so
the PLS predictions go wrong (glucose and titre read low) and the spectrum leaves the model's
calibrated space: its residual Q rises over its limit and the twin publishes ``glucose_pat``
and ``titre_pat`` *Uncertain* (``UncertainSensorCalibration``) instead of *Good*. The off-line
lab results stay right. The magnitude is the interferent in the broth, in g/l; with the
default analyser, about 3-5 g/l puts every spectrum outside (Q over its 99 % limit), and a
``ramp_s`` models the new lot mixing in.

It is a disturbance of the unit (``raman_out_of_calibration`` in ``Bioreactor.DISTURBANCES``),
set through the fault hooks like the process faults.

Examples
--------
>>> from twin.faults.catalog import parse_fault
>>> f = parse_fault({"kind": "raman_out_of_calibration", "target": {"unit": "bioreactor-1"}, "magnitude": 10})
>>> f.family, f.disturbance_key(), f.describe()
('process', 'raman_out_of_calibration', 'raman_out_of_calibration 10 on bioreactor-1')
"""

from __future__ import annotations

from typing import Literal

from twin.faults.base import DisturbanceFault


class RamanOutOfCalibration(DisturbanceFault):
    """A new raw-material lot's interferent in the broth: the Raman model is out of calibration."""

    # A material change (a new lot), acting through a unit disturbance: the process family.
    family = "process"
    kind: Literal["raman_out_of_calibration"] = "raman_out_of_calibration"
    magnitude_help = (
        "interferent of the new raw-material lot in the broth, g/l (absent from the Raman calibration; "
        "3-5 g/l and more put the spectra outside the calibrated space)"
    )


__all__ = ["RamanOutOfCalibration"]
