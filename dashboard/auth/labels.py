"""French and English labels of the login, account and signature screens (merged into ``dashboard.i18n``)."""

from __future__ import annotations

AUTH_LABELS: dict[str, dict[str, str]] = {
    "login_title": {"fr": "Connexion", "en": "Log in"},
    "username": {"fr": "Identifiant", "en": "User name"},
    "password": {"fr": "Mot de passe", "en": "Password"},
    "login_button": {"fr": "Se connecter", "en": "Log in"},
    "logout": {"fr": "Se déconnecter", "en": "Log out"},
    "login_refused": {
        "fr": "Identifiant ou mot de passe incorrect.",
        "en": "Unknown user or wrong password.",
    },
    "login_locked": {
        "fr": "Trop d'échecs de connexion : réessayez plus tard.",
        "en": "Too many failed logins: try again later.",
    },
    "login_off": {
        "fr": "Les connexions sont désactivées sur ce serveur (pas de fichier d'utilisateurs).",
        "en": "Logins are off on this server (no users file).",
    },
    "password_title": {"fr": "Changer le mot de passe", "en": "Change the password"},
    "password_first": {
        "fr": "Votre mot de passe est à usage unique : choisissez le vôtre pour continuer.",
        "en": "Your password is a one-time password: choose your own to continue.",
    },
    "old_password": {"fr": "Mot de passe actuel", "en": "Current password"},
    "new_password": {
        "fr": "Nouveau mot de passe (10 caractères au moins)",
        "en": "New password (10 characters or more)",
    },
    "new_password_again": {"fr": "Nouveau mot de passe, à nouveau", "en": "New password, again"},
    "password_mismatch": {"fr": "Les deux mots de passe diffèrent.", "en": "The two passwords differ."},
    "password_changed": {"fr": "Mot de passe changé.", "en": "Password changed."},
    "change_button": {"fr": "Changer", "en": "Change"},
    "logged_in_as": {"fr": "Connecté·e :", "en": "Logged in:"},
    "not_logged_in": {"fr": "non connecté·e", "en": "not logged in"},
    "login_link": {"fr": "Se connecter", "en": "Log in"},
    "forbidden_page": {
        "fr": "Cette page demande le rôle {level} ; vous êtes {user} ({role}).",
        "en": "This page needs the {level} role; you are {user} ({role}).",
    },
    "role_anonymous": {"fr": "visiteur", "en": "visitor"},
    "role_student": {"fr": "étudiant·e", "en": "student"},
    "role_instructor": {"fr": "formateur·rice", "en": "instructor"},
    "role_admin": {"fr": "administrateur·rice", "en": "admin"},
    "role_viewer": {"fr": "lecteur", "en": "viewer"},
    "signature": {"fr": "Signature électronique", "en": "Electronic signature"},
    "signature_help": {
        "fr": "Cette action demande votre signature : votre mot de passe à nouveau et sa signification.",
        "en": "This action needs your signature: your password again and what it means.",
    },
    "meaning": {"fr": "Signification", "en": "Meaning"},
    "meaning_reviewed": {"fr": "revu", "en": "reviewed"},
    "meaning_approved": {"fr": "approuvé", "en": "approved"},
    "meaning_performed": {"fr": "réalisé", "en": "performed"},
    "signer": {"fr": "Signataire (identifiant)", "en": "Signer (user name)"},
    "sign_and_stop": {"fr": "Signer et arrêter", "en": "Sign and stop"},
    "signature_refused": {"fr": "Signature refusée : {reason}", "en": "Signature refused: {reason}"},
    "audit_refused": {
        "fr": "Action refusée : la piste d'audit ne peut pas être écrite ({reason}).",
        "en": "Action refused: the audit trail cannot be written ({reason}).",
    },
    "not_allowed": {"fr": "Action refusée : {reason}", "en": "Action refused: {reason}"},
}
