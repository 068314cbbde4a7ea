"""The dashboard role's link to the twin of another process (the compose split), from the settings.

``gmp-twin dashboard`` with ``GMP_TWIN_OPCUA_ENDPOINT`` (or ``--opcua-endpoint``) drives that
twin's faults, scenarios and clock through :class:`dashboard.remote_control.RemoteControl`: the
same PKI folder (``GMP_TWIN_PKI``), OPC UA account (``GMP_TWIN_OPCUA_USERNAME``/``_PASSWORD``)
and ``--insecure`` as the bridge, and the session secret the twin shares.
"""

from __future__ import annotations

from dashboard.remote_control import RemoteControl
from gmp_twin.identity import session_secret
from gmp_twin.roles import bridge_login
from gmp_twin.settings import Settings
from pki import Pki


def remote_control(settings: Settings) -> RemoteControl | None:
    """The twin's control over OPC UA, or ``None`` when no endpoint is set (a real kit: no twin)."""
    if not settings.opcua_endpoint:
        return None
    return RemoteControl(
        settings.opcua_endpoint,
        session_secret(settings),
        pki=Pki(settings.pki),
        credentials=bridge_login(settings),
        insecure=settings.opcua_insecure,
    )


__all__ = ["remote_control"]
