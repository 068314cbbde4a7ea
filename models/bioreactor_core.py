"""The bioreactor's arithmetic as plain functions of floats: one step, and a loop of steps.

:class:`models.bioreactor.Bioreactor` calls :func:`advance` from ``step`` (the controllers,
actuator hooks and sensor faults stay in the class, in Python). :func:`run_steps` repeats a
whole step (the three PID loops, the recipe's feed, :func:`advance`) and records rows; the
class compiles it with Numba (:mod:`models.jit`) for batch generation, where no fault acts
between steps. Both call the same functions, so the compiled loop gives the values ``step``
gives, bit for bit (a test compares them): every function here uses only float arithmetic,
``math`` and explicit products for integer powers (``x * x``, not ``x ** 2``, which Numba
and CPython would round differently).

Nothing here imports Numba: the class's live path never loads it.
"""

from __future__ import annotations

import math
from typing import Any

from models.pid import pid_step

P_ATM_BAR = 1.01325
Y_O2_AIR = 0.2095
MOLAR_VOLUME_NL = 22.414  # l/mol at 0 °C, 1 atm (normal litres)
WATER_MOLAR_MASS = 18.015
#: Longest RK4 sub-step in seconds (accuracy); stability may ask for shorter ones.
MAX_SUBSTEP_S = 10.0
#: ``h·λmax`` allowed per RK4 sub-step (the real-axis stability limit of RK4 is 2.785).
RK4_STABLE_H_LAMBDA = 2.0
#: A ``leak`` stops when the broth is down to this volume (the model needs broth in the vessel).
LEAK_MIN_VOLUME_L = 5.0

#: The state :func:`advance` carries from step to step, in this order.
STATE: tuple[str, ...] = (
    "t", "m_x", "m_s", "m_p", "do", "temp", "tj", "ph", "vol", "agit", "cons", "harv", "feed_tot", "glc_fed",
    "base_tot", "evap_tot", "harv_tot", "leak_tot", "leak_g",
)  # fmt: skip
#: Columns of a PID row of :func:`run_steps` (tuning, then state).
PID_FIELDS: tuple[str, ...] = (
    "kp", "ki", "kd", "out_min", "out_max", "filter_s", "setpoint", "auto", "output", "integral", "last_pv",
    "has_last", "d_term", "init_next",
)  # fmt: skip
#: What :func:`run_steps` keeps besides the state (``e``), in this order.
EXTRAS: tuple[str, ...] = (
    "feed_auto", "feed_manual", "feed_cmd", "feed_l_h", "base_l_h", "evap_l_h", "harvest_l_h", "jv_pos",
    "bp_pos", "agit_cmd", "aer", "pres", "kla_lost", "ua_lost", "heater_lost", "leak_l_h", "feed_err",
    "contamination",
)  # fmt: skip
#: The record fields :func:`run_steps` writes, in this order (every raw field but the analyser's).
ROW_FIELDS: tuple[str, ...] = (
    "t_s", "m_x", "m_s", "m_p", "do", "temp", "tj", "ph", "vol", "cons_g", "harv_g", "agit", "feed_l_h",
    "base_l_h", "evap_l_h", "harvest_l_h", "aer", "pres", "temperature_sp", "temperature_mode",
    "temperature_out", "ph_sp", "ph_mode", "ph_out", "do_sp", "do_mode", "do_out", "feed_mode", "feed_tot",
    "base_tot", "evap_tot", "harv_tot", "glc_fed", "recipe_step", "growth_f", "kla_f", "ua_f", "jacket_valve",
    "base_pump", "agitator", "feed_cmd", "leak_tot", "leak_g",
)  # fmt: skip


def cardinal_temperature(t_c: float, t_min: float, t_opt: float, t_max: float) -> float:
    """Cardinal temperature model with inflection (CTMI, Rosso et al. 1993), 0…1.

    Examples
    --------
    >>> cardinal_temperature(25.0, 5.0, 25.0, 35.0), cardinal_temperature(40.0, 5.0, 25.0, 35.0)
    (1.0, 0.0)
    """
    if not t_min < t_c < t_max:
        return 0.0
    num = (t_c - t_max) * ((t_c - t_min) * (t_c - t_min))
    den = (t_opt - t_min) * ((t_opt - t_min) * (t_c - t_opt) - (t_opt - t_max) * (t_opt + t_min - 2.0 * t_c))
    return num / den


def cardinal_ph(ph: float, ph_min: float, ph_opt: float, ph_max: float) -> float:
    """Cardinal pH model (CPM, Rosso et al. 1995), 0…1.

    Examples
    --------
    >>> cardinal_ph(6.5, 3.0, 6.5, 9.0), round(cardinal_ph(5.0, 3.0, 6.5, 9.0), 3)
    (1.0, 0.78)
    """
    if not ph_min < ph < ph_max:
        return 0.0
    a = (ph - ph_min) * (ph - ph_max)
    return a / (a - (ph - ph_opt) * (ph - ph_opt))


def o2_saturation_mmol_l(t_c: float) -> float:
    """O₂ solubility in fresh water under air at 1 atm, mmol/l (Benson & Krause 1984, the
    APHA 4500-O formula, 0-40 °C).

    Examples
    --------
    >>> round(o2_saturation_mmol_l(25.0) * 31.998, 2)  # mg/l, the APHA table value
    8.26
    """
    tk = t_c + 273.15
    tk2 = tk * tk
    ln_c = -139.34411 + 1.575701e5 / tk - 6.642308e7 / tk2 + 1.2438e10 / (tk2 * tk) - 8.621949e11 / (tk2 * tk2)
    return math.exp(ln_c) / 31.998


def offgas_o2(gas_mmol_s: float, our_mmol_s: float, rq: float) -> float:
    """O₂ mole fraction of the dry off-gas from an inert balance.

    >>> offgas_o2(100.0, 0.0, 1.0), round(offgas_o2(100.0, 5.0, 1.0), 4)
    (0.2095, 0.1595)
    """
    dry_out = gas_mmol_s + (rq - 1.0) * our_mmol_s
    if dry_out <= 0.0:
        return 0.0
    y = (Y_O2_AIR * gas_mmol_s - our_mmol_s) / dry_out
    return y if y > 0.0 else 0.0


def segment_volume(cum: float, r0: float, r1: float, start: float, end: float, t_s: float) -> float:
    """Feed volume at ``t_s`` inside a recipe step ``[start, end)`` whose rate ramps ``r0 -> r1`` l/h.

    ``cum`` is the volume at the step's start, l.

    >>> segment_volume(1.0, 0.0, 0.1, 0.0, 36000.0, 18000.0)  # half way up a 10 h ramp to 0.1 l/h
    1.125
    """
    span = end - start
    tau = t_s - start
    return cum + (r0 + 0.5 * (r1 - r0) * tau / span) * tau / 3600.0


def recipe_volume(starts: Any, r0: Any, r1: Any, cum: Any, t_s: float) -> float:
    """Feed volume delivered from the batch start to ``t_s``: :meth:`FeedRecipe.volume_l` on arrays.

    ``starts`` has one more entry than the steps (the end); ``cum`` the volume at each start.

    >>> one_hour = ([0.0, 3600.0], [0.5], [0.5], [0.0, 0.5])  # 0.5 l/h for an hour
    >>> recipe_volume(*one_hour, 1800.0), recipe_volume(*one_hour, 9e9)
    (0.25, 0.5)
    """
    if t_s <= 0.0:
        return 0.0
    n = len(r0)
    i = recipe_step_index(starts, t_s)
    if i >= n:
        return float(cum[n])
    return segment_volume(cum[i], r0[i], r1[i], starts[i], starts[i + 1], t_s)


def recipe_step_index(starts: Any, t_s: float) -> int:
    """0-based index of the step running at ``t_s`` (``len(steps)`` after the end): ``bisect_right - 1``.

    >>> recipe_step_index([0.0, 10.0, 20.0], 10.0), recipe_step_index([0.0, 10.0, 20.0], 25.0)
    (1, 2)
    """
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if t_s < starts[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo - 1


#: Where the mass-transfer constants sit in :func:`constants`: impeller power factor, d³, d⁵,
#: vessel area, kLa coefficient, its two exponents, kLa floor (1/s).
MASS_TRANSFER = slice(44, 52)


def constants(p: Any) -> tuple[float, ...]:
    """What :func:`advance` needs of the parameters ``p`` (a ``BioreactorParams``), per second.

    Sub-expressions that depend on the parameters only are evaluated here, once.
    """
    area = math.pi * p.vessel_diameter_m**2 / 4.0
    rho_cp = p.broth_density_kg_l * p.broth_cp_j_kg_k  # J/(l·K)
    d = p.impeller_diameter_m
    tc = p.condenser_temperature_c
    return (
        # Kinetics and balances (the RK4 derivative loop).
        p.ks_glucose_g_l, p.ko_do_pct, p.maintenance_g_g_h / 3600.0, p.maintenance_ks_glucose_g_l,
        p.kp_glucose_g_l, 1.0 / p.ki_glucose_g_l, p.kop_do_pct, 1.0 / p.yxs_g_g, 1.0 / p.yps_g_g,
        p.o2_per_biomass_mmol_g, p.o2_per_glucose_mmol_g, p.o2_per_product_mmol_g, p.death_rate_1_h / 3600.0,
        p.hydrolysis_1_h / 3600.0, p.jacket_ua_w_k, p.heat_per_o2_kj_mol, rho_cp,
        1.0 / (p.jacket_volume_l * 4186.0), p.acid_per_biomass_mmol_g, p.acid_per_product_mmol_g,
        # Actuators, jacket, flows.
        p.base_pump_max_l_h, p.agitation_ramp_rpm_s, p.jacket_max_flow_l_min / 60.0 * 4186.0,
        p.cooling_water_temperature_c, p.hot_water_temperature_c,
        0.0061094 * math.exp(17.625 * tc / (tc + 243.04)),  # water vapour pressure at the condenser, bar
        1.0 if p.continuous_harvest else 0.0, p.glucose_feed_g_l, p.base_concentration_mol_l,
        p.feed_temperature_c, p.ambient_ua_w_k * p.ambient_temperature_c, p.ambient_ua_w_k,
        # Cardinal models, rates, buffer, gas.
        p.t_min_c, p.t_opt_c, p.t_max_c, p.ph_min, p.ph_opt, p.ph_max, p.mu_max_1_h / 3600.0,
        p.qp_max_g_g_h / 3600.0, p.buffer_pka, p.buffer_background_mmol_l_ph, 2.302585 * p.buffer_phosphate_mmol_l,
        p.respiratory_quotient,
        # Mass transfer.
        p.impeller_count * p.impeller_power_number * p.broth_density_kg_l * 1000.0, d * d * d, d * d * d * d * d,
        area, p.kla_coefficient * p.kla_broth_factor, p.kla_power_exponent, p.kla_gas_velocity_exponent,
        p.kla_min_1_h / 3600.0,
    )  # fmt: skip


def kla_per_s(
    c: tuple[float, ...], n_rpm: float, aer_l_min: float, p_g: float, temp: float, vol_l: float
) -> tuple[float, float]:
    """``(kLa [1/s], gassed power [W])`` at the given agitation, aeration and volume."""
    # The MASS_TRANSFER constants (indices spelled out: the compiled loop reads them too).
    power_k, d3, d5, area, kla_c, kla_pow, kla_vs, kla_min = c[44], c[45], c[46], c[47], c[48], c[49], c[50], c[51]
    n = n_rpm / 60.0
    p0 = power_k * (n * n * n) * d5
    q_gas = aer_l_min / 60000.0 * (P_ATM_BAR / (P_ATM_BAR + p_g)) * (temp + 273.15) / 273.15  # m³/s
    if n > 0.0:
        fl = q_gas / (n * d3)
        ratio = 1.0 - 12.6 * fl if fl < 0.035 else 0.62 - 1.85 * fl
        pg = p0 * max(ratio, 0.1)
    else:
        pg = 0.0
    vs = q_gas / area
    kla = kla_c * (pg / (vol_l / 1000.0)) ** kla_pow * vs**kla_vs
    return max(kla, kla_min), pg


def advance(
    c: tuple[float, ...], s: tuple[float, ...], u: tuple[float, ...], dt: float
) -> tuple[tuple[float, ...], tuple[float, float, float]]:
    """One step of the process with its inputs held: the new :data:`STATE` and the step's flows.

    ``u`` = ``(jacket valve %, base pump %, agitation setpoint rpm, feed l/h, aeration l/min,
    head pressure bar g, kLa lost, UA lost, heating lost, leak l/h, feed concentration error,
    growth lost)``: the actuators' effective positions and the disturbances. Returns the state
    and ``(base l/h, evaporation l/h, harvest l/h)``.

    The agitator ramps towards its setpoint; mass transfer, jacket, flows and the kinetic
    coefficients are held over the step; RK4 integrates the balances (:func:`integrate`) in as
    many sub-steps as stability needs; then the batch totals.
    """
    (ks, ko, ms, km, kp, inv_ki, kop, inv_yxs, inv_yps, a_xo, a_mo, a_po, _, _, ua, _, rho_cp, inv_mj, _, _,
     base_max, ramp, jacket_mdot_cp, t_cool, t_hot, p_w, harvest_on, feed_g_l, base_mol_l, t_feed, ambient_w,
     ambient_ua, t_min, t_opt, t_max, ph_min, ph_opt, ph_max, mu_max, qp_max, pka, beta_bg, phosphate_k, rq,
     _, _, _, _, _, _, _, kla_min) = c  # fmt: skip
    (t, m_x, m_s, m_p, do, temp, tj, ph, vol, n0, cons, harv, feed_tot, glc_fed, base_tot, evap_tot, harv_tot,
     leak_tot, leak_g) = s  # fmt: skip
    u_t, u_ph, n_sp, feed_l_h, aer, p_g, kla_lost, ua_lost, heater_lost, leak_l_h, feed_err, growth_lost = u
    base_l_h = u_ph * 0.01 * base_max
    lim = ramp * dt
    if n_sp - n0 > lim:
        n1 = n0 + lim
        n_mean = n0 + 0.5 * lim
    elif n0 - n_sp > lim:
        n1 = n0 - lim
        n_mean = n0 - 0.5 * lim
    else:
        n1 = n_sp
        frac = abs(n_sp - n0) / lim if lim > 0.0 else 0.0
        n_mean = n_sp + 0.5 * (n0 - n_sp) * frac
    # Mass transfer, jacket, flows and kinetic coefficients, held over the step.
    p_abs = P_ATM_BAR + p_g
    kla, power_w = kla_per_s(c, n_mean, aer, p_g, temp, vol)
    if kla_lost:  # each disturbance is applied only when set: nominal stays bit-identical
        kla = max(kla * (1.0 - kla_lost), kla_min)
    if ua_lost:
        ua *= 1.0 - ua_lost
    if u_t >= 0.0:
        mh = u_t * 0.01 * jacket_mdot_cp
        if heater_lost:
            mh *= 1.0 - heater_lost
        mc = 0.0
    else:
        mh = 0.0
        mc = -u_t * 0.01 * jacket_mdot_cp
    j0 = mc * t_cool + mh * t_hot
    j1 = mc + mh
    # Evaporation: dry air saturated at the condenser outlet temperature.
    gas_mol_s = aer / 60.0 / MOLAR_VOLUME_NL
    evap_l_s = gas_mol_s * p_w / (p_abs - p_w) * WATER_MOLAR_MASS / 1000.0
    feed_l_s = feed_l_h / 3600.0
    base_l_s = base_l_h / 3600.0
    harv_l_s = 0.0
    if harvest_on:
        harv_l_s = max(feed_l_s + base_l_s - evap_l_s, 0.0)
    leak_l_s = leak_l_h / 3600.0 if vol > LEAK_MIN_VOLUME_L else 0.0
    out_l_s = harv_l_s + leak_l_s  # broth leaving at its composition
    dvol = feed_l_s + base_l_s - evap_l_s - harv_l_s - leak_l_s
    feed_g_s = feed_l_s * feed_g_l
    if feed_err:
        feed_g_s *= 1.0 + feed_err
    fb_mmol_s = base_l_s * base_mol_l * 1000.0
    fin_rcp = (feed_l_s + base_l_s) * rho_cp
    c0 = power_w + fin_rcp * t_feed + ambient_w
    c1 = fin_rcp + ambient_ua
    # Temperature- and pH-dependent coefficients, held over the step.
    fcard = cardinal_temperature(temp, t_min, t_opt, t_max) * cardinal_ph(ph, ph_min, ph_opt, ph_max)
    mu0 = mu_max * fcard
    if growth_lost:
        mu0 *= 1.0 - growth_lost
    qp0 = qp_max * fcard
    k_do = 100.0 / o2_saturation_mmol_l(temp)
    r = 10.0 ** (ph - pka)
    inv_beta = 1.0 / (beta_bg + phosphate_k * r / ((1.0 + r) * (1.0 + r)))
    # Off-gas O2 (well-mixed gas phase) from the uptake at the start of the step.
    x_c = m_x / vol
    s_c = m_s / vol if m_s > 0.0 else 0.0
    d_c = do if do > 0.0 else 0.0
    fs = s_c / (ks + s_c)
    fo = d_c / (ko + d_c)
    qp_now = qp0 * s_c / (kp + s_c + s_c * s_c * inv_ki) * d_c / (kop + d_c)
    our_cap = x_c * (mu0 * a_xo + ms * a_mo)  # mmol/(l·s) at fs = fo = 1
    our_now = x_c * (mu0 * a_xo * fs + ms * a_mo * s_c / (km + s_c)) * fo + x_c * qp_now * a_po
    y_o2 = offgas_o2(gas_mol_s * 1000.0, our_now * vol, rq)
    do_eq = 100.0 * p_abs / P_ATM_BAR * (y_o2 / Y_O2_AIR)
    # Sub-steps: a bound of the fastest eigenvalue keeps RK4 stable. DO can fall at most at
    # the full uptake rate minus the supply at the current DO (the supply only grows as DO
    # falls); λ is largest at the lowest DO reachable.
    drop = k_do * (our_cap + x_c * qp0 * a_po) - kla * (do_eq - do)
    do_low = do - dt * drop if drop > 0.0 else do
    do_low = do_low if do_low > 0.0 else 0.0
    ko_low, kop_low = ko + do_low, kop + do_low
    lam_do = kla + k_do * (our_cap * ko / (ko_low * ko_low) + x_c * qp0 * a_po * kop / (kop_low * kop_low))
    lam_s = x_c * (mu0 * inv_yxs / ks + ms / km + qp0 * inv_yps / kp)
    lam_j = (j1 + ua) * inv_mj
    lam = max(lam_do, lam_s, lam_j)
    n_sub = max(math.ceil(dt / MAX_SUBSTEP_S - 1e-9), math.ceil(dt * lam / RK4_STABLE_H_LAMBDA - 1e-9), 1)
    m_x, m_s, m_p, do, temp, tj, ph, vol, d_cons, d_harv = integrate(
        c, (m_x, m_s, m_p, do, temp, tj, ph, vol), dt, n_sub, ua, j0, j1, out_l_s, dvol, fb_mmol_s, c0, c1,
        mu0, qp0, k_do, inv_beta, kla, do_eq, feed_g_s,
    )  # fmt: skip
    if leak_l_s:  # split the glucose that left between harvest and leak (constant rates)
        leaked = d_harv * (leak_l_s / out_l_s)
        d_harv -= leaked
        leak_g += leaked
        leak_tot += leak_l_s * dt
    state = (
        t + dt, m_x, m_s, m_p, do if do > 0.0 else 0.0, temp, tj, min(max(ph, 0.0), 14.0), vol, n1,
        cons + d_cons, harv + d_harv, feed_tot + feed_l_s * dt, glc_fed + feed_g_s * dt, base_tot + base_l_s * dt,
        evap_tot + evap_l_s * dt, harv_tot + harv_l_s * dt, leak_tot, leak_g,
    )  # fmt: skip
    return state, (base_l_h, evap_l_s * 3600.0, harv_l_s * 3600.0)


def integrate(
    c: tuple[float, ...], x: tuple[float, ...], dt: float, n_sub: int, ua: float, j0: float, j1: float,
    out_l_s: float, dvol: float, fb_mmol_s: float, c0: float, c1: float, mu0: float, qp0: float, k_do: float,
    inv_beta: float, kla: float, do_eq: float, feed_g_s: float,
) -> tuple[float, ...]:  # fmt: skip
    """RK4 over the step (``n_sub`` equal sub-steps) with every input held.

    Balances of biomass, glucose and product (g), DO (%), broth and jacket temperature, pH and
    volume; returns them and the glucose consumed and harvested over the step (g).
    """
    (ks, ko, ms, km, kp, inv_ki, kop, inv_yxs, inv_yps, a_xo, a_mo, a_po, kd, kh, _, h_o2, rho_cp,
     inv_mj, g_x, g_p) = c[:20]  # fmt: skip
    m_x, m_s, m_p, do, temp, tj, ph, vol = x
    h = dt / n_sub
    h2 = 0.5 * h
    h6 = h / 6.0
    cons = harv = 0.0
    for _ in range(n_sub):
        a_x = a_s = a_p = a_d = a_t = a_j = a_h = a_c = a_hv = 0.0
        k_x = k_s = k_p = k_d = k_t = k_j = k_h = 0.0
        for hc, w in ((0.0, 1.0), (h2, 2.0), (h2, 2.0), (h, 1.0)):
            yx = m_x + hc * k_x
            ys = m_s + hc * k_s
            yp = m_p + hc * k_p
            yd = do + hc * k_d
            yt = temp + hc * k_t
            yj = tj + hc * k_j
            vs = vol + hc * dvol
            iv = 1.0 / vs
            xx = yx * iv
            ss = ys * iv if ys > 0.0 else 0.0
            dd = yd if yd > 0.0 else 0.0
            fs = ss / (ks + ss)
            fo = dd / (ko + dd)
            mu = mu0 * fs * fo
            mm = ms * ss / (km + ss) * fo
            qp = qp0 * ss / (kp + ss + ss * ss * inv_ki) * dd / (kop + dd)
            upt = (mu * inv_yxs + mm + qp * inv_yps) * yx
            our = (mu * a_xo + mm * a_mo + qp * a_po) * xx
            k_x = (mu - kd) * yx - out_l_s * xx
            k_s = feed_g_s - upt - out_l_s * ss
            k_p = qp * yx - kh * yp - out_l_s * yp * iv
            k_d = kla * (do_eq - yd) - our * k_do
            q_rj = ua * (yt - yj)
            k_t = (our * vs * h_o2 + c0 - c1 * yt - q_rj) / (rho_cp * vs)
            k_j = (q_rj + j0 - j1 * yj) * inv_mj
            k_h = (fb_mmol_s - (g_x * mu + g_p * qp) * yx) * inv_beta * iv
            a_x += w * k_x
            a_s += w * k_s
            a_p += w * k_p
            a_d += w * k_d
            a_t += w * k_t
            a_j += w * k_j
            a_h += w * k_h
            a_c += w * upt
            a_hv += w * out_l_s * ss
        m_x += h6 * a_x
        m_s += h6 * a_s
        m_p += h6 * a_p
        do += h6 * a_d
        temp += h6 * a_t
        tj += h6 * a_j
        ph += h6 * a_h
        vol += h * dvol
        cons += h6 * a_c
        harv += h6 * a_hv
    return m_x, m_s, m_p, do, temp, tj, ph, vol, cons, harv


def _pid_row(pid: Any, i: int, pv: float, dt: float) -> float:
    """:func:`models.pid.pid_step` on row ``i`` of a :data:`PID_FIELDS` array; the new output."""
    out, integral, last_pv, d_term, init = pid_step(
        pid[i, 0], pid[i, 1], pid[i, 2], pid[i, 3], pid[i, 4], pid[i, 5], pid[i, 6], pid[i, 7] > 0.5,
        pid[i, 8], pid[i, 9], pid[i, 10], pid[i, 11] > 0.5, pid[i, 12], pid[i, 13] > 0.5, pv, dt,
    )  # fmt: skip
    pid[i, 8], pid[i, 9], pid[i, 10], pid[i, 11], pid[i, 12] = out, integral, last_pv, 1.0, d_term
    pid[i, 13] = 1.0 if init else 0.0
    return out


def run_steps(
    c: tuple[float, ...], s: tuple[float, ...], pid: Any, e: Any, recipe: Any, n_steps: int, dt: float,
    every: int, done: int, next_scan: float, out: Any, cols: Any,
) -> tuple[int, tuple[float, ...]]:  # fmt: skip
    """Whole steps (controllers on the true values, the recipe's feed, :func:`advance`), recording rows.

    Steps from ``done`` up to ``n_steps``; after every ``every``-th step it writes the
    :data:`ROW_FIELDS` of a row into ``out[done // every - 1, cols]``. It stops early after
    the step that makes the analyser's scan due (``t >= next_scan``): the caller scans, fills
    the analyser's fields, and calls again. ``pid`` (a
    :data:`PID_FIELDS` row per loop) and ``e`` (:data:`EXTRAS`) are updated in place;
    ``recipe`` holds the recipe's starts, start rates, end rates and cumulative volumes as
    rows. Returns the steps done and the state.
    """
    starts, r0, r1, cum = recipe[0], recipe[1, :-1], recipe[2, :-1], recipe[3]
    feed_auto = e[0] > 0.5
    aer, pres = e[10], e[11]
    t = s[0]
    v0 = recipe_volume(starts, r0, r1, cum, t)
    feed_cmd = e[2]
    while done < n_steps:
        u_t = _pid_row(pid, 0, s[5], dt)
        u_ph = _pid_row(pid, 1, s[7], dt)
        n_sp = _pid_row(pid, 2, s[4], dt)
        if feed_auto:  # the recipe's mean rate over the step (FeedRecipe.mean_rate_l_h)
            t1 = t + dt
            v1 = recipe_volume(starts, r0, r1, cum, t1)
            feed_cmd = (v1 - v0) * 3600.0 / (t1 - t)
            v0 = v1
        else:
            feed_cmd = e[1]
        s, flows = advance(c, s, (u_t, u_ph, n_sp, feed_cmd, aer, pres, e[12], e[13], e[14], e[15], e[16], e[17]), dt)
        t = s[0]
        done += 1
        e[2], e[3], e[4], e[5], e[6] = feed_cmd, feed_cmd, flows[0], flows[1], flows[2]
        e[7], e[8], e[9] = u_t, u_ph, n_sp
        if done % every == 0:
            row = out[done // every - 1]
            step_i = recipe_step_index(starts, t)
            values = (
                t, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[10], s[11], s[9], feed_cmd, flows[0],
                flows[1], flows[2], aer, pres, pid[0, 6], pid[0, 7], pid[0, 8], pid[1, 6], pid[1, 7], pid[1, 8],
                pid[2, 6], pid[2, 7], pid[2, 8], e[0], s[12], s[14], s[15], s[16], s[13], float(step_i),
                1.0 - e[17], 1.0 - e[12], 1.0 - e[13], u_t, u_ph, n_sp, feed_cmd, s[17], s[18],
            )  # fmt: skip
            for k in range(len(values)):
                row[cols[k]] = values[k]
        if t >= next_scan:
            break
    return done, s


__all__ = [
    "EXTRAS",
    "LEAK_MIN_VOLUME_L",
    "MASS_TRANSFER",
    "MAX_SUBSTEP_S",
    "PID_FIELDS",
    "RK4_STABLE_H_LAMBDA",
    "ROW_FIELDS",
    "STATE",
    "advance",
    "cardinal_ph",
    "cardinal_temperature",
    "constants",
    "integrate",
    "kla_per_s",
    "o2_saturation_mmol_l",
    "offgas_o2",
    "recipe_step_index",
    "recipe_volume",
    "run_steps",
    "segment_volume",
]
