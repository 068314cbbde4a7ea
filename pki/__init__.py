"""Certificates and trust lists of OPC UA applications: the twin's server and the bridge (issue #12).

:class:`Pki` is one PKI folder (own certificate and key, trusted, rejected, issuers);
``gmp-twin pki list|trust|reject`` works on it.
"""

from pki.store import OWN_CERT_DAYS, CertInfo, Pki, Validator, read_certificate, thumbprint

__all__ = ["OWN_CERT_DAYS", "CertInfo", "Pki", "Validator", "read_certificate", "thumbprint"]
