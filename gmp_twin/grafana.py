"""``gmp-twin grafana``: Grafana provisioning generated from the plant file, so the two never disagree.

For docker-compose's Grafana (InfluxDB 2.x, Flux), under ``deploy/grafana/`` by default:

- ``provisioning/datasources/gmp-twin.yaml``: the InfluxDB 2 datasource (compose's
  ``http://influxdb:8086``; organisation and token from the Grafana container's environment,
  as ``$__env{...}``);
- ``provisioning/dashboards/gmp-twin.yaml``: the file provider of the dashboards below;
- ``dashboards/<unit type>.json``: one dashboard per unit type of the plant, a ``unit``
  variable listing the plant's units of that type, one time series panel per analog tag
  (critical parameters first), in the tag's engineering unit and range, with the NOR/PAR of
  :class:`models.unit.TagSpec` as thresholds: grey inside the NOR, amber between NOR and PAR,
  red outside the PAR (ISA-101: colour only for the abnormal). A band that holds in one phase
  only (``bands_when``) says so in the panel's description: Grafana's thresholds cannot follow a
  phase.

The dashboards are built with Grafana's own typed builders (``grafana-foundation-sdk``);
``tests/gmp_twin/test_grafana_provisioning.py`` checks that the committed files equal this
output and type-checks every dashboard against Grafana's published schema types
(``@grafana/schema``) with the TypeScript compiler.

Examples
--------
>>> from twin.plant import PlantConfig
>>> plant = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
>>> boards = dashboards(plant)
>>> list(boards), boards["mps_pa"]["uid"], boards["mps_pa"]["templating"]["list"][0]["query"]
(['mps_pa'], 'gmp-twin-mps_pa', 'mps-pa')
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders import common as common_builder
from grafana_foundation_sdk.builders import dashboard as dashboard_builder
from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from models.unit import TagSpec
from twin.plant import PlantConfig, build_plant, load_plant

log = logging.getLogger(__name__)

DEFAULT_OUT = Path("deploy/grafana")
#: The datasource every panel names (provisioned with this uid).
DATASOURCE = model.DataSourceRef(type_val="influxdb", uid="gmp-twin-influxdb")
#: Tag kinds drawn as time series (switches, modes and states with names are not curves).
ANALOG_KINDS = ("measurement", "setpoint", "output", "state")
GREY, AMBER, RED = "#8e8e8e", "#e0a100", "#d32f2f"


class FluxQuery(cogvariants.Dataquery):
    """An InfluxDB Flux query of a panel (the SDK has no InfluxDB query type of its own)."""

    def __init__(self, ref_id: str, query: str) -> None:
        self.ref_id = ref_id
        self.query = query

    def to_json(self) -> dict[str, object]:
        return {"refId": self.ref_id, "datasource": DATASOURCE, "query": self.query}


class _Query(cogbuilder.Builder[cogvariants.Dataquery]):
    def __init__(self, query: FluxQuery) -> None:
        self._query = query

    def build(self) -> cogvariants.Dataquery:
        return self._query


def flux(bucket: str, site: str, tag: str) -> str:
    """The Flux query of one tag of the unit the dashboard's ``unit`` variable selects.

    >>> print(flux("plant", "lab", "B101_level").splitlines()[2])
      |> filter(fn: (r) => r._measurement == "process" and r.site == "lab" and r.unit == "${unit}")
    """
    return (
        f'from(bucket: "{bucket}")\n'
        "  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n"
        f'  |> filter(fn: (r) => r._measurement == "process" and r.site == "{site}" and r.unit == "${{unit}}")\n'
        f'  |> filter(fn: (r) => r.tag == "{tag}" and r._field == "value")\n'
        "  |> aggregateWindow(every: v.windowPeriod, fn: mean, createEmpty: false)\n"
        f'  |> map(fn: (r) => ({{_time: r._time, "{tag}": r._value}}))'
    )


def thresholds(spec: TagSpec) -> list[model.Threshold]:
    """Steps from the NOR/PAR: red below the PAR, amber outside the NOR, grey inside, amber, red.

    >>> spec = TagSpec("T", "temperature", "°C", 0, 100, nor=(36.5, 37.5), par=(36.0, 38.0))
    >>> [(s.value, s.color) for s in thresholds(spec)]  # doctest: +NORMALIZE_WHITESPACE
    [(None, '#d32f2f'), (36.0, '#e0a100'), (36.5, '#8e8e8e'), (37.5, '#e0a100'), (38.0, '#d32f2f')]
    >>> spec = TagSpec("DO", "dissolved oxygen", "%", 0, 200, nor=(30, 200), par=(15, 200))
    >>> [(s.value, s.color) for s in thresholds(spec)]
    [(None, '#d32f2f'), (15, '#e0a100'), (30, '#8e8e8e'), (200, '#d32f2f')]
    """
    outer = RED if spec.par is not None else AMBER
    steps = [model.Threshold(None, outer if spec.critical else GREY)]
    if spec.par is not None:
        steps.append(model.Threshold(spec.par[0], AMBER if spec.nor is not None else GREY))
    if spec.nor is not None:
        steps.append(model.Threshold(spec.nor[0], GREY))
        steps.append(model.Threshold(spec.nor[1], AMBER))
    if spec.par is not None:
        steps.append(model.Threshold(spec.par[1], RED))
    # A NOR edge on the PAR's (dissolved oxygen: 200 % both): one step there, the later colour.
    kept: dict[float | None, model.Threshold] = {}
    for step in steps:
        kept[step.value] = step
    return list(kept.values())


def _description(spec: TagSpec) -> str:
    parts = [spec.description]
    if spec.nor is not None:
        parts.append(f"NOR {spec.nor[0]:g}–{spec.nor[1]:g} {spec.unit}")
    if spec.par is not None:
        parts.append(f"PAR {spec.par[0]:g}–{spec.par[1]:g} {spec.unit}")
    if spec.bands_when is not None:
        phase_tag, values = spec.bands_when
        parts.append(f"the bands hold only while {phase_tag} is {_spans(values)}")
    return "; ".join(parts)


def _spans(values: tuple[int, ...]) -> str:
    """``1–3, 7``: runs of consecutive values.

    >>> _spans((1, 2, 3, 7))
    '1–3, 7'
    """
    runs: list[list[int]] = []
    for v in sorted(values):
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _panel(spec: TagSpec, bucket: str, site: str, x: int, y: int) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(spec.name)
        .description(_description(spec))
        .datasource(DATASOURCE)
        .grid_pos(model.GridPos(h=8, w=12, x=x, y=y))
        .with_target(_Query(FluxQuery("A", flux(bucket, site, spec.name))))
        .unit(_grafana_unit(spec.unit))
        .min(spec.lo)
        .max(spec.hi)
        .legend(
            common_builder.VizLegendOptions()
            .show_legend(False)
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
        )
        .tooltip(common_builder.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.NONE))
        .line_width(1)
        .fill_opacity(0)
        .color_scheme(dashboard_builder.FieldColor().mode(model.FieldColorModeId.FIXED).fixed_color("#3d71a8"))
        .thresholds(dashboard_builder.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(thresholds(spec)))
    )
    if spec.critical:
        style = common_builder.GraphThresholdsStyleConfig().mode(common.GraphTresholdsStyleMode.DASHED_AND_AREA)
        panel = panel.thresholds_style(style)
    return panel


def _grafana_unit(unit: str) -> str:
    """Grafana's unit id where it has one, else the printed unit as a suffix."""
    known = {
        "°C": "celsius",
        "%": "percent",
        "s": "s",
        "min": "m",
        "h": "h",
        "bar": "pressurebar",
        "mbar": "pressurembar",
    }
    return known.get(unit, f"suffix: {unit}" if unit else "none")


def unit_dashboard(unit_type: str, names: list[str], specs: list[TagSpec], site: str, bucket: str) -> dict[str, Any]:
    """The dashboard of one unit type (its units in the ``unit`` variable), as Grafana's JSON."""
    analog = [s for s in specs if s.kind in ANALOG_KINDS and not s.states]
    ordered = [s for s in analog if s.critical] + [s for s in analog if not s.critical]
    board = (
        dashboard_builder.Dashboard(f"gmp-twin · {unit_type}")
        .uid(f"gmp-twin-{unit_type}")
        .description(f"Generated by `gmp-twin grafana` from the plant file ({site}); do not edit here.")
        .tags(["gmp-twin", unit_type])
        .readonly()
        .time("now-1h", "now")
        .refresh("10s")
        .timezone("browser")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            dashboard_builder.CustomVariable("unit")
            .label("Unit")
            .values(",".join(names))
            .current(model.VariableOption(selected=True, text=names[0], value=names[0]))
        )
    )
    for i, spec in enumerate(ordered):
        board = board.with_panel(_panel(spec, bucket, site, x=12 * (i % 2), y=8 * (i // 2)))
    data: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    data.pop("style", None)  # the dark/light theme field, gone from Grafana's current schema
    for variable in data.get("templating", {}).get("list", []):
        # The SDK writes an interval variable's fields (and an id) on every variable; Grafana's
        # published schema has none of them on a custom variable (the schema test found it).
        for key in ("auto", "auto_count", "auto_min", "id"):
            variable.pop(key, None)
    return data


def dashboards(plant: PlantConfig, bucket: str = "plant") -> dict[str, dict[str, Any]]:
    """One dashboard per unit type of ``plant``, by unit type."""
    units = build_plant(plant)
    by_type: dict[str, list[str]] = {}
    for name, unit in units.items():
        by_type.setdefault(unit.unit_type, []).append(name)
    return {
        unit_type: unit_dashboard(unit_type, names, units[names[0]].tag_specs(), plant.site, bucket)
        for unit_type, names in by_type.items()
    }


def _datasource(bucket: str) -> str:
    data = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "InfluxDB (gmp-twin)",
                "uid": DATASOURCE.uid,
                "type": "influxdb",
                "access": "proxy",
                "url": "http://influxdb:8086",  # the compose service
                "isDefault": True,
                "editable": False,
                "jsonData": {
                    "version": "Flux",
                    "organization": "$__env{GMP_TWIN_INFLUXDB_ORG}",
                    "defaultBucket": bucket,
                },
                "secureJsonData": {"token": "$__env{GMP_TWIN_INFLUXDB_TOKEN}"},
            }
        ],
    }
    return _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _provider() -> str:
    data = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "gmp-twin",
                "folder": "gmp-twin",
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "options": {"path": "/var/lib/grafana/dashboards/gmp-twin"},
            }
        ],
    }
    return _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


_HEADER = "# Generated by `gmp-twin grafana` from the plant file; regenerate instead of editing.\n"


def provisioning(plant: PlantConfig, bucket: str = "plant") -> dict[str, str]:
    """Every provisioning file: relative path -> text."""
    files = {
        "provisioning/datasources/gmp-twin.yaml": _datasource(bucket),
        "provisioning/dashboards/gmp-twin.yaml": _provider(),
    }
    for unit_type, board in dashboards(plant, bucket).items():
        files[f"dashboards/{unit_type}.json"] = json.dumps(board, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return files


def stale(out: Path, files: dict[str, str]) -> list[str]:
    """The files of ``out`` that differ from ``files`` (or are missing), and generated dashboards left over."""
    wrong = [rel for rel, text in files.items() if not (out / rel).is_file() or (out / rel).read_text() != text]
    extra = [
        str(p.relative_to(out))
        for p in sorted((out / "dashboards").glob("*.json"))
        if str(p.relative_to(out)) not in files
    ]
    return wrong + extra


def _cmd(args: argparse.Namespace) -> int:
    plant = load_plant(args.plant)
    files = provisioning(plant, args.bucket)
    out: Path = args.out
    if args.check:
        wrong = stale(out, files)
        if wrong:
            print(f"gmp-twin grafana: {out} differs from {args.plant}: {', '.join(wrong)}; run `gmp-twin grafana`",
                  file=sys.stderr)  # fmt: skip
            return 1
        print(f"{out}: up to date with {args.plant}")
        return 0
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for rel in stale(out, files):  # dashboards of unit types the plant no longer has
        (out / rel).unlink()
    print(f"wrote {len(files)} files under {out} ({', '.join(sorted(dashboards(plant, args.bucket)))})")
    return 0


def register(sub: Any) -> None:
    """Add ``gmp-twin grafana`` to the CLI's sub-parsers."""
    parser = sub.add_parser(
        "grafana", help="write Grafana's provisioning (InfluxDB 2 datasource, a dashboard per unit type)"
    )
    parser.add_argument(
        "--plant", type=Path, default=Path("config/plant.yaml"), help="plant file (default config/plant.yaml)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--bucket", default="plant", help="InfluxDB bucket of the queries (default plant, as compose)")
    parser.add_argument("--check", action="store_true", help="do not write: exit 1 when the files differ")
    parser.set_defaults(handler=_cmd)


__all__ = ["dashboards", "flux", "provisioning", "register", "stale", "thresholds", "unit_dashboard"]
