"""The tags a PAT analyser adds beside its predictions: intervals, diagnostics, limits, lab results.

For each prediction ``<analyte>_pat`` of the bioreactor's Raman analyser
(:class:`models.pat.PatAnalyser`):

* ``<analyte>_pat_pi``: half-width of its prediction interval (95 %), g/l;
* ``<analyte>_pat_t2`` and ``<analyte>_pat_q``: Hotelling T² and residual Q of the spectrum
  against the model's calibration set, with their limits (99 %) in ``..._t2_limit`` and
  ``..._q_limit``;
* ``<analyte>_pat_ok``: 1 while the prediction may be trusted (T² and Q under their limits,
  value inside the calibrated range), 0 otherwise. The twin's sensor layer publishes the
  prediction with an OPC UA *Uncertain* status while it reads 0 (:mod:`twin.sensors`);
* ``<analyte>_lab``: the off-line reference result (:mod:`models.pat_lab`).

The dryer's NIR is not a multivariate model (true LOD + bias + noise), so it has no T²/Q:
``nir_lod_pi`` is the interval of its stated error and ``lod_lab`` the lab's loss on drying.

Examples
--------
>>> [s.name for s in bioreactor_pat_specs()][:4]
['glucose_pat_pi', 'glucose_pat_t2', 'glucose_pat_q', 'glucose_pat_ok']
>>> sorted(PAT_TAGS) == sorted(s.name for s in bioreactor_pat_specs())
True
"""

from __future__ import annotations

from models.unit import TagSpec

#: Analytes of the Raman analyser, in tag order.
PAT_ANALYTES: tuple[str, ...] = ("glucose", "titre")
#: Per analyte: the tags that describe one prediction.
_PER_ANALYTE = ("pi", "t2", "q", "ok")
#: The analyser's tags besides ``glucose_pat``/``titre_pat``, in the order of
#: :attr:`models.pat.PatAnalyser.outputs`.
PAT_TAGS: tuple[str, ...] = (
    *(f"{a}_pat_{w}" for a in PAT_ANALYTES for w in _PER_ANALYTE),
    *(f"{a}_lab" for a in PAT_ANALYTES),
    *(f"{a}_pat_{w}_limit" for a in PAT_ANALYTES for w in ("t2", "q")),
)
#: State labels of an ``..._ok`` flag (the dashboard's catalogue holds the text).
OK_STATES: dict[int, str] = {0: "state.pat.out_of_space", 1: "state.pat.in_space"}
#: Engineering ranges of the diagnostics (wide: a spectrum far outside must not saturate).
T2_RANGE: tuple[float, float] = (0.0, 1.0e4)
Q_RANGE: tuple[float, float] = (0.0, 1.0e8)

_WHAT = {"glucose": "Glucose", "titre": "Penicillin titre"}
_LAB = {"glucose": "enzymatic analyser", "titre": "HPLC"}


def bioreactor_pat_specs() -> list[TagSpec]:
    """Tag specs of :data:`PAT_TAGS`, in display order."""
    specs: list[TagSpec] = []
    for a in PAT_ANALYTES:
        what = _WHAT[a]
        specs += [
            TagSpec(f"{a}_pat_pi", f"{what}, Raman PAT: half-width of the prediction interval (95 %)", "g/l",
                    0.0, 50.0),
            TagSpec(f"{a}_pat_t2", f"{what} model: Hotelling T2 of the spectrum against the calibration set", "",
                    *T2_RANGE),
            TagSpec(f"{a}_pat_q", f"{what} model: residual Q (SPE) of the spectrum against the calibration set",
                    "", *Q_RANGE),
            TagSpec(f"{a}_pat_ok", f"{what} prediction trusted (1): T2 and Q under their limits, inside the "
                    "calibrated range", "", 0.0, 1.0, kind="switch",
                    states=OK_STATES),
        ]  # fmt: skip
    specs += [
        TagSpec(
            f"{a}_lab", f"{_WHAT[a]}, off-line reference sample ({_LAB[a]}), held until the next", "g/l", 0.0, 100.0
        )
        for a in PAT_ANALYTES
    ]
    specs += [
        TagSpec(f"{a}_pat_{w}_limit", f"{_WHAT[a]} model: limit of {label} (99 %)", "", *rng, kind="state")
        for a in PAT_ANALYTES
        for w, label, rng in (("t2", "Hotelling T2", T2_RANGE), ("q", "the residual Q", Q_RANGE))
    ]
    return specs


#: The dryer's NIR tags besides ``nir_lod``.
NIR_TAGS: tuple[str, ...] = ("nir_lod_pi", "lod_lab")
#: Range of LOD the dryer's NIR is calibrated over (granules from dry to the wettest
#: granulation end-point), % w/w; a prediction outside it is an extrapolation. Assumed.
NIR_CALIBRATED_LOD_PCT: tuple[float, float] = (0.0, 25.0)


def dryer_nir_specs() -> list[TagSpec]:
    """Tag specs of :data:`NIR_TAGS`."""
    return [
        TagSpec("nir_lod_pi", "NIR moisture: half-width of the 95 % prediction interval (its stated error)",
                "%", 0.0, 10.0),
        TagSpec("lod_lab", "Loss on drying, off-line reference sample (halogen moisture balance), held until "
                "the next", "%", 0.0, 40.0),
    ]  # fmt: skip


__all__ = [
    "NIR_CALIBRATED_LOD_PCT",
    "NIR_TAGS",
    "OK_STATES",
    "PAT_ANALYTES",
    "PAT_TAGS",
    "Q_RANGE",
    "T2_RANGE",
    "bioreactor_pat_specs",
    "dryer_nir_specs",
]
