"""Descriptions of the filling line's SMED and OEE-project tags (``models.filling_line``), FR/EN."""

from __future__ import annotations

_MACHINES = {
    "filler": ("Filler", "Remplisseuse", "filler", "la remplisseuse"),
    "capper": ("Capper", "Boucheuse", "capper", "la boucheuse"),
    "labeller": ("Labeller", "Étiqueteuse", "labeller", "l'étiqueteuse"),
    "checkweigher": ("Checkweigher", "Trieuse pondérale", "checkweigher", "la trieuse pondérale"),
    "cartoner": ("Cartoner", "Encartonneuse", "cartoner", "l'encartonneuse"),
}
_AFTER = ("filler", "capper", "labeller", "checkweigher")

LABELS: dict[str, dict[str, str]] = {
    **{
        f"tag.filling_line.{m}_changeover_sp": {
            "en": f"{en}: internal setup time of the next changeovers",
            "fr": f"{fr} : temps de réglage interne des prochains changements de format",
        }
        for m, (en, fr, _, _) in _MACHINES.items()
    },
    **{
        f"tag.filling_line.buffer{i}_capacity": {
            "en": f"Capacity of the conveyor after the {_MACHINES[m][2]}",
            "fr": f"Capacité du convoyeur après {_MACHINES[m][3]}",
        }
        for i, m in enumerate(_AFTER, start=1)
    },
    "tag.filling_line.changeover_time": {
        "en": "Last changeover: last carton of the old lot to the first carton of the new one",
        "fr": "Dernier changement de format : du dernier carton de l'ancien lot au premier du nouveau",
    },
    "tag.filling_line.oee": {
        "en": "Line OEE over the last hour",
        "fr": "TRS de la ligne sur la dernière heure",
    },
}
