"""Water and steam properties for the autoclave and the dryer: saturation curve and moist air.

Saturation curve: the explicit IAPWS-IF97 region-4 equations (the "saturation-pressure
equation" and its exact inverse, IAPWS R7-97(2012), eqs. 30-31) as implemented by the
``iapws`` package, valid from 273.15 K to the critical point 647.096 K. They reproduce
IAPWS-95 within ±0.025 % in pressure, far below any sensor's error; the release's
verification values are in the tests. At 121.1 °C they give 2.057 bar abs (the textbook
"2.05 bar", about 1.04 bar gauge). A call costs about 0.4 µs, so the autoclave and the dryer
call it every step without a lookup table.

Moist air (dryer): ideal-gas mixture at total pressure ``p``, humidity ratio
``Y = 0.622 p_v / (p − p_v)`` kg water per kg dry air, latent heat
``h_fg(T) ≈ 2501 − 2.361·T`` kJ/kg (T in °C; within 0.5 % of the steam tables from 0 to 100 °C,
0.7 % at 121 °C), humid heat ``c_s = 1.006 + 1.86·Y`` kJ/(kg dry air·K).

Examples
--------
>>> round(saturation_pressure_bar(121.1), 4)
2.0569
>>> round(saturation_temperature_c(1.01325), 3)  # normal boiling point (IF97: 99.974 °C)
99.974
>>> round(adiabatic_saturation_temperature_c(60.0, 0.005), 1)  # 60 °C air, dew point about 4 °C
24.7
"""

from __future__ import annotations

from iapws.iapws97 import _PSat_T, _TSat_P

T_MIN_K = 273.15
T_CRIT_K = 647.096
P_CRIT_MPA = 22.064
P_MIN_MPA = 611.213e-6
KELVIN = 273.15
#: Molar mass ratio water / dry air.
EPSILON = 0.621945


def saturation_pressure_mpa(t_k: float) -> float:
    """IF97 saturation pressure (MPa) at ``t_k`` kelvin, 273.15-647.096 K.

    >>> saturation_pressure_mpa(500.0)  # IF97 verification value 0.263889776e1
    2.6388977...
    """
    if not T_MIN_K <= t_k <= T_CRIT_K:
        raise ValueError(f"temperature {t_k!r} K outside the saturation curve {T_MIN_K}-{T_CRIT_K} K")
    return float(_PSat_T(t_k))  # IF97 eq. 30


def saturation_temperature_k(p_mpa: float) -> float:
    """IF97 saturation temperature (K) at ``p_mpa``, 611.213 Pa to 22.064 MPa.

    >>> saturation_temperature_k(1.0)  # IF97 verification value 0.453035632e3
    453.0356...
    """
    if not P_MIN_MPA * (1 - 1e-9) <= p_mpa <= P_CRIT_MPA:
        raise ValueError(f"pressure {p_mpa!r} MPa outside the saturation curve {P_MIN_MPA}-{P_CRIT_MPA} MPa")
    return float(_TSat_P(p_mpa))  # IF97 eq. 31


def saturation_pressure_bar(t_c: float) -> float:
    """Saturation pressure of water, bar absolute, at ``t_c`` °C (0.0-373.946 °C)."""
    return 10.0 * saturation_pressure_mpa(t_c + KELVIN)


def saturation_temperature_c(p_bar: float) -> float:
    """Saturation temperature of water, °C, at ``p_bar`` bar absolute (0.00611-220.64 bar)."""
    return saturation_temperature_k(p_bar / 10.0) - KELVIN


def latent_heat_kj_kg(t_c: float) -> float:
    """Latent heat of vaporisation, kJ/kg (linear fit, see the module docstring)."""
    return 2501.0 - 2.361 * t_c


def humidity_ratio(p_v_bar: float, p_bar: float = 1.01325) -> float:
    """Humidity ratio (kg water / kg dry air) for vapour partial pressure ``p_v_bar``."""
    return EPSILON * p_v_bar / (p_bar - p_v_bar)


def saturation_humidity_ratio(t_c: float, p_bar: float = 1.01325) -> float:
    """Humidity ratio of saturated air at ``t_c`` °C and total pressure ``p_bar``."""
    return humidity_ratio(saturation_pressure_bar(max(t_c, 0.0)), p_bar)


def relative_humidity(t_c: float, y: float, p_bar: float = 1.01325) -> float:
    """Relative humidity (0-1) of air at ``t_c`` °C with humidity ratio ``y``."""
    p_v = y * p_bar / (EPSILON + y)
    return p_v / saturation_pressure_bar(max(t_c, 0.0))


def adiabatic_saturation_temperature_c(t_c: float, y: float, p_bar: float = 1.01325) -> float:
    """Adiabatic saturation temperature (°C) of air at ``t_c`` °C and humidity ratio ``y``.

    Solves ``c_s(Y)·(T − T_as) = (Y_sat(T_as) − Y)·h_fg(T_as)`` by bisection. For air and
    water (Lewis number ≈ 1) it is the wet-bulb temperature to a few tenths of a kelvin.
    """
    cs = 1.006 + 1.86 * y
    lo, hi = 0.0, t_c
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if cs * (t_c - mid) - (saturation_humidity_ratio(mid, p_bar) - y) * latent_heat_kj_kg(mid) > 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


__all__ = [
    "adiabatic_saturation_temperature_c", "humidity_ratio", "latent_heat_kj_kg", "relative_humidity",
    "saturation_humidity_ratio", "saturation_pressure_bar", "saturation_pressure_mpa", "saturation_temperature_c",
    "saturation_temperature_k",
]  # fmt: skip
