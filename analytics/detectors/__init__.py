"""The live drift detectors: the detectors file, one module per method, the registry.

Each entry of ``config/detectors.yaml`` watches one tag (Shewhart, EWMA, CUSUM) or several
tags of one unit (PCA) on the live values the bridge writes to the historian. The detector
sees one value per ``sample_s`` seconds, the mean of the raw samples in that window, so its
run lengths are counted in windows and its ``sigma`` is the standard deviation of one window
mean. How the charts' limits are given: :mod:`analytics.detectors.chart`.

``method`` picks the entry's model, which declares the method's parameters once:

=========================================  ==========================================
:mod:`~analytics.detectors.base`           fields of every entry (name, unit, window,
                                           reference period, alarm priority)
:mod:`~analytics.detectors.live`           windows, phases, history of a live detector
:mod:`~analytics.detectors.chart`          one-tag control charts: tag and limits
:mod:`~analytics.detectors.shewhart`,      the chart methods
:mod:`~analytics.detectors.ewma`,
:mod:`~analytics.detectors.cusum`
:mod:`~analytics.detectors.pca`            PCA over several tags
:mod:`~analytics.detectors.registry`       method -> (config model, live detector)
:mod:`~analytics.detectors.file`           the whole file, its loader and error texts
=========================================  ==========================================

A unit or tag that no tag map knows stops start-up with the file, the line and the valid
names, as every other configuration file does.

Examples
--------
>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "detectors.yaml"
>>> def check(extra: str) -> None:
...     _ = p.write_text("detectors:\\n- {name: lvl, unit: mps-pa, method: ewma, mean: 15, sigma: 0.1, " + extra + "}")
...     try:
...         load_detectors(p, {"mps-pa": ["B101_level", "B102_flow"]})
...     except ConfigError as e:
...         print(str(e).split("/")[-1])
>>> check("tag: B101_levl")
detectors.yaml:2: 'detectors[0].tag': unknown tag 'B101_levl' in unit 'mps-pa'; valid tags: B101_level, B102_flow
>>> check("tag: B101_level, k: 0.5")
detectors.yaml:2: 'detectors[0]': 'k' does not apply to method 'ewma' (only to cusum)
"""

from analytics.detectors.base import DetectorBase
from analytics.detectors.file import DetectorsFile, OeeMachineConfig, load_detectors
from analytics.detectors.live import DetectorPoint, LiveDetector
from analytics.detectors.registry import REGISTRY, DetectorConfig, build_detector, parse_detector, rule_text
from config_schema.files import ConfigError

__all__ = [
    "REGISTRY",
    "ConfigError",
    "DetectorBase",
    "DetectorConfig",
    "DetectorPoint",
    "DetectorsFile",
    "LiveDetector",
    "OeeMachineConfig",
    "build_detector",
    "load_detectors",
    "parse_detector",
    "rule_text",
]
