"""Certificates and trust lists of OPC UA applications: the twin's server and the bridge (issue #12)."""
