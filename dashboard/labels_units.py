"""French and English labels of unit pages, faceplates and tag states (merged into ``dashboard.i18n``).

State keys (``state.<group>.<name>``) are the ones models name in ``TagSpec.states``.
"""

from __future__ import annotations

_PACKML_FR = (
    "Arrêté",
    "Réinitialisation",
    "Prêt",
    "Démarrage",
    "Production",
    "Achèvement",
    "Achevé",
    "Abandon en cours",
    "Abandonné",
    "Arrêt en cours",
    "Acquittement",
    "Suspension",
    "Suspendu",
    "Reprise",
    "Mise en attente",
    "En attente",
    "Sortie d'attente",
)
_PACKML_EN = (
    "Stopped",
    "Resetting",
    "Idle",
    "Starting",
    "Execute",
    "Completing",
    "Complete",
    "Aborting",
    "Aborted",
    "Stopping",
    "Clearing",
    "Suspending",
    "Suspended",
    "Unsuspending",
    "Holding",
    "Held",
    "Unholding",
)

LABELS: dict[str, dict[str, str]] = {
    # Values of discrete tags.
    "state.mode.manual": {"fr": "manuel", "en": "manual"},
    "state.mode.auto": {"fr": "auto", "en": "auto"},
    "state.mode.recipe": {"fr": "recette", "en": "recipe"},
    "state.switch.off": {"fr": "inactif", "en": "off"},
    "state.switch.on": {"fr": "actif", "en": "on"},
    "state.on": {"fr": "en marche", "en": "on"},
    "state.off": {"fr": "arrêté", "en": "off"},
    "state.dry": {"fr": "sec", "en": "dry"},
    "state.wet": {"fr": "mouillé", "en": "wet"},
    "state.up": {"fr": "haut", "en": "up"},
    "state.down": {"fr": "bas", "en": "down"},
    "state.open": {"fr": "ouverte", "en": "open"},
    "state.closed": {"fr": "fermée", "en": "closed"},
    "state.reached": {"fr": "atteinte", "en": "reached"},
    "state.not_reached": {"fr": "non atteinte", "en": "not reached"},
    "state.blocked": {"fr": "bloqué", "en": "blocked"},
    "state.free": {"fr": "libre", "en": "free"},
    "state.pass": {"fr": "conforme", "en": "pass"},
    "state.fail": {"fr": "non conforme", "en": "fail"},
    "state.loop.level": {"fr": "niveau", "en": "level"},
    "state.loop.flow": {"fr": "débit", "en": "flow"},
    "state.loop.pressure": {"fr": "pression", "en": "pressure"},
    "state.dryer.idle": {"fr": "à l'arrêt", "en": "idle"},
    "state.dryer.drying": {"fr": "séchage", "en": "drying"},
    "state.dryer.complete": {"fr": "terminé (point final atteint)", "en": "complete (end-point reached)"},
    "state.autoclave.idle": {"fr": "à l'arrêt", "en": "idle"},
    "state.autoclave.prevacuum": {"fr": "prévide", "en": "pre-vacuum"},
    "state.autoclave.heatup": {"fr": "montée en température", "en": "heat-up"},
    "state.autoclave.hold": {"fr": "plateau de stérilisation", "en": "sterilisation hold"},
    "state.autoclave.exhaust": {"fr": "détente", "en": "exhaust"},
    "state.autoclave.drying": {"fr": "séchage", "en": "drying"},
    "state.autoclave.complete": {"fr": "terminé", "en": "complete"},
    "state.autoclave.aborted": {"fr": "interrompu", "en": "aborted"},
    **{
        f"state.packml.{i}": {"fr": fr, "en": en} for i, (fr, en) in enumerate(zip(_PACKML_FR, _PACKML_EN, strict=True))
    },
    # Remarks beside a value.
    "fmt.unknown_state": {"fr": "état inconnu", "en": "unknown state"},
    "fmt.out_of_calibration": {"fr": "hors plage d'étalonnage", "en": "outside calibrated range"},
}
