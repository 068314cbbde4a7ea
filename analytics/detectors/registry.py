"""The detector methods: ``method`` name -> its config model and its live detector class.

Adding a method is one module (its config model, a subclass of
:class:`~analytics.detectors.base.DetectorBase` with ``method: Literal["name"]``, and its
live detector, a subclass of :class:`~analytics.detectors.live.LiveDetector`) plus one
:class:`Registration` line below. The detectors file, :func:`build_detector`, the alarms
and the dashboard's rule texts all go through :data:`REGISTRY`.

Examples
--------
>>> sorted(REGISTRY)
['cusum', 'ewma', 'golden', 'pca', 'shewhart']
>>> det = build_detector(parse_detector({"name": "p", "unit": "u", "method": "pca", "tags": ["a", "b"],
...                                      "reference_s": 60}))
>>> type(det).__name__, det.phase
('PcaDetector', 'reference')
>>> rule_text("WE2"), rule_text("SPE")[:3], rule_text("X")
('2 of 3 consecutive points beyond 2σ, same side', 'SPE', 'X')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, TypeAlias, Union, get_args

from pydantic import Field, TypeAdapter

from analytics.detectors.base import DetectorBase
from analytics.detectors.chart import ChartDetector
from analytics.detectors.cusum import CusumConfig
from analytics.detectors.ewma import EwmaConfig
from analytics.detectors.golden import GoldenConfig, GoldenDetector
from analytics.detectors.live import LiveDetector
from analytics.detectors.pca import PcaConfig, PcaDetector
from analytics.detectors.shewhart import ShewhartConfig

__all__ = ["REGISTRY", "DetectorConfig", "Registration", "build_detector", "parse_detector", "rule_text"]


class Registration(NamedTuple):
    """One detector method: its config model and the live detector built from it."""

    config: type[DetectorBase]
    detector: type[LiveDetector[Any]]

    @property
    def method(self) -> str:
        """The ``method`` value of the config model (its ``Literal``)."""
        name: str = get_args(self.config.model_fields["method"].annotation)[0]
        return name


REGISTRY: Mapping[str, Registration] = {
    r.method: r
    for r in (
        Registration(ShewhartConfig, ChartDetector),
        Registration(EwmaConfig, ChartDetector),
        Registration(CusumConfig, ChartDetector),
        Registration(PcaConfig, PcaDetector),
        Registration(GoldenConfig, GoldenDetector),
    )
}

if TYPE_CHECKING:
    # The code reads entries through the base class (polymorphism, not method names).
    DetectorConfig: TypeAlias = DetectorBase
else:
    #: One detector entry: the union of the registered config models, picked by ``method``.
    DetectorConfig = Annotated[Union[tuple(r.config for r in REGISTRY.values())], Field(discriminator="method")]  # noqa: UP007

_ADAPTER: TypeAdapter[DetectorBase] = TypeAdapter(DetectorConfig)


def parse_detector(data: Mapping[str, Any], units: Mapping[str, list[str]] | None = None) -> DetectorBase:
    """Validate one entry (plain data) as its method's config model.

    ``units`` (unit -> tag names) checks the unit and tags; ``pydantic.ValidationError``
    says what is wrong. Whole files go through :func:`~analytics.detectors.load_detectors`.
    """
    return _ADAPTER.validate_python(data, context=None if units is None else {"units": units})


def build_detector(config: DetectorBase, history_size: int = 600) -> LiveDetector[Any]:
    """The live detector of one configured entry, as its method registered it."""
    return REGISTRY[config.method].detector(config, history_size)


def rule_text(rule: str) -> str:
    """Plain-language meaning of a rule id, from the method that fires it (else the id)."""
    for registration in REGISTRY.values():
        text = registration.config.rule_texts.get(rule)
        if text is not None:
            return text
    return rule
