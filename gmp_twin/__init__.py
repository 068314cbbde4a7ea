"""Composition root: the ``gmp-twin`` command wires models, twin, bridge and dashboard.

Nothing imports this package; it may import all the others.
"""
