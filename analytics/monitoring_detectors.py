"""Live detectors, as the dashboard imports them; they live in :mod:`analytics.detectors`.

>>> from analytics.detectors import DetectorPoint as P
>>> DetectorPoint is P
True
"""

from analytics.detectors.live import DetectorPoint, LiveDetector, WindowMean
from analytics.detectors.pca import PCA_RULES
from analytics.detectors.registry import build_detector, rule_text

__all__ = ["PCA_RULES", "DetectorPoint", "LiveDetector", "WindowMean", "build_detector", "rule_text"]
