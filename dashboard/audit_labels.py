"""French and English labels of the audit page, the page header's login line and the alarm
acknowledgement by the logged-in user (merged into ``dashboard.i18n``)."""

from __future__ import annotations

AUDIT_LABELS: dict[str, dict[str, str]] = {
    "audit": {"fr": "Audit", "en": "Audit"},
    "audit_title": {
        "fr": "Piste d'audit — qui a changé quoi, quand, pourquoi",
        "en": "Audit trail — who changed what, when, why",
    },
    "audit_none": {
        "fr": "Ce processus ne tient pas de piste d'audit.",
        "en": "This process keeps no audit trail.",
    },
    "audit_empty": {"fr": "Aucun enregistrement pour ces filtres.", "en": "No record matches these filters."},
    "audit_user": {"fr": "Utilisateur", "en": "User"},
    "audit_object": {"fr": "Objet (début)", "en": "Object (prefix)"},
    "audit_action": {"fr": "Action (début)", "en": "Action (prefix)"},
    "audit_since": {"fr": "Depuis", "en": "From"},
    "audit_until": {"fr": "Jusqu'à", "en": "Until"},
    "audit_zone": {"fr": "Heures saisies en", "en": "Times typed in"},
    "audit_zone_utc": {"fr": "UTC", "en": "UTC"},
    "audit_zone_local": {"fr": "heure locale ({zone})", "en": "local time ({zone})"},
    "audit_apply": {"fr": "Filtrer", "en": "Filter"},
    "audit_csv": {"fr": "Télécharger en CSV", "en": "Download as CSV"},
    "audit_count": {
        "fr": "{n} enregistrement(s), du plus récent au plus ancien ; heures en UTC.",
        "en": "{n} record(s), newest first; times in UTC.",
    },
    "audit_bad_time": {
        "fr": "Heure illisible : {value!r} (ex. 2026-12-05 14:00).",
        "en": "Unreadable time: {value!r} (e.g. 2026-12-05 14:00).",
    },
    "seq": {"fr": "N°", "en": "Seq"},
    "utc_time": {"fr": "Heure (UTC)", "en": "Time (UTC)"},
    "sim_time_short": {"fr": "Temps simulé (s)", "en": "Sim. time (s)"},
    "role": {"fr": "Rôle", "en": "Role"},
    "via": {"fr": "Par", "en": "Via"},
    "action": {"fr": "Action", "en": "Action"},
    "object": {"fr": "Objet", "en": "Object"},
    "old_new": {"fr": "Ancien → nouveau", "en": "Old → new"},
    "reason": {"fr": "Motif", "en": "Reason"},
    "result": {"fr": "Résultat", "en": "Result"},
    "signature_short": {"fr": "Signature", "en": "Signature"},
    "result_ok": {"fr": "accepté", "en": "accepted"},
    "result_refused": {"fr": "refusé", "en": "refused"},
    "result_error": {"fr": "erreur", "en": "error"},
    # The page header and the alarm page.
    "ack_needs_student": {
        "fr": "acquitter demande une connexion (rôle étudiant·e au moins) ; vous êtes {user} ({role})",
        "en": "acknowledging needs a login (student role or higher); you are {user} ({role})",
    },
    "signed": {"fr": "Signé", "en": "Signed"},
}
