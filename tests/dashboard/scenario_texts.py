"""Scenario files the API tests write into a temporary library."""

LEAK = """
title: {en: Small leak, fr: Petite fuite}
units: [mps-pa]
duration_s: 300
faults:
  - {kind: leak, target: {unit: mps-pa}, magnitude: 0.5, start_s: 10}
"""
