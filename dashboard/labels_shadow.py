"""FR/EN labels of the shadow page (/shadow): twin versus plant, residuals and their chart."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "shadow": {"fr": "Jumeau en ombre", "en": "Shadow"},
    "shadow_title": {"fr": "Jumeau en ombre : jumeau contre installation", "en": "Shadow mode: twin versus plant"},
    "shadow_intro": {
        "fr": "Le jumeau suit l'installation réelle (mêmes consignes, mêmes modes) et prédit ce que chaque "
        "instrument devrait lire. Le résidu = installation − jumeau : du bruit autour d'une constante tant "
        "qu'ils s'accordent, une dérive quand l'équipement change. Lancé par « gmp-twin shadow run ».",
        "en": "The twin follows the real plant (same setpoints, same modes) and predicts what each instrument "
        "should read. The residual = plant − twin: noise around a constant while they agree, a drift when "
        "the equipment changes. Started by `gmp-twin shadow run`.",
    },
    "shadow_none": {
        "fr": "Aucune unité n'a à la fois des valeurs de l'installation (source plc) et du jumeau (source sim) : "
        "lancez le pont sur l'installation réelle, puis « gmp-twin shadow run --unit <unité> ».",
        "en": "No unit has both plant (source plc) and twin (source sim) values: run the bridge on the real "
        "plant, then `gmp-twin shadow run --unit <unit>`.",
    },
    "shadow_unit": {"fr": "Unité", "en": "Unit"},
    "shadow_tag": {"fr": "Variable", "en": "Tag"},
    "shadow_trend": {"fr": "{tag} : installation et jumeau", "en": "{tag}: plant and twin"},
    "shadow_residual_title": {
        "fr": "Résidu de {tag} (installation − jumeau), moyennes sur {window} s",
        "en": "{tag} residual (plant − twin), {window} s means",
    },
    "shadow_plant": {"fr": "installation", "en": "plant"},
    "shadow_twin": {"fr": "jumeau", "en": "twin"},
    "shadow_residual": {"fr": "résidu", "en": "residual"},
    "shadow_centre": {"fr": "centre (référence)", "en": "centre (reference)"},
    "shadow_limits": {"fr": "±3σ", "en": "±3σ"},
    "shadow_chart": {"fr": "carte {method}", "en": "{method} chart"},
    "shadow_chart_limits": {"fr": "limites de la carte", "en": "chart limits"},
    "shadow_out": {"fr": "hors limites", "en": "out of limits"},
    "shadow_raised": {"fr": "alarme levée", "en": "alarm raised"},
    "shadow_ref_run": {
        "fr": "Référence du jumeau en ombre : moyenne {mean}, σ {sigma} sur {n} fenêtres.",
        "en": "Reference of the shadow run: mean {mean}, σ {sigma} over {n} windows.",
    },
    "shadow_ref_range": {
        "fr": "Pas de référence enregistrée : estimée sur le début de cette plage (moyenne {mean}, σ {sigma}, "
        "{n} fenêtres).",
        "en": "No stored reference: estimated from the start of this range (mean {mean}, σ {sigma}, {n} windows).",
    },
    "shadow_ref_none": {"fr": "Pas encore de référence.", "en": "No reference yet."},
    "shadow_coarse": {
        "fr": "Plage longue : valeurs moyennées sur plus que la fenêtre de la carte ; résidu affiché sans carte.",
        "en": "Long range: values averaged over more than the chart's window; residual shown without chart.",
    },
    "shadow_lag1": {
        "fr": "Autocorrélation de rang 1 des résidus de référence : {lag1} (au-delà de 0,5, plus de fausses "
        "alarmes que prévu).",
        "en": "Lag-1 autocorrelation of the reference residuals: {lag1} (above 0.5, more false alarms than designed).",
    },
    "shadow_tags": {"fr": "Résidus par variable", "en": "Residuals per tag"},
    "sh_col_tag": {"fr": "Variable", "en": "Tag"},
    "sh_col_last": {"fr": "Dernier résidu", "en": "Last residual"},
    "sh_col_z": {"fr": "Écart (σ)", "en": "Deviation (σ)"},
    "sh_col_sigma": {"fr": "σ de référence", "en": "Reference σ"},
    "sh_col_from": {"fr": "Référence", "en": "Reference"},
    "sh_col_out": {"fr": "Fenêtres hors limites", "en": "Windows out"},
    "sh_col_alarms": {"fr": "Alarmes", "en": "Alarms"},
    "sh_from_run": {"fr": "du jumeau en ombre", "en": "shadow run"},
    "sh_from_range": {"fr": "estimée ici", "en": "estimated here"},
    "sh_from_none": {"fr": "aucune", "en": "none"},
    "sh_no_tags": {"fr": "Aucune variable avec résidu dans cette plage", "en": "No tag with a residual in this range"},
}
