"""Logins on the HTTP side: signed session cookies, API tokens, the role gate, the login pages.

:class:`dashboard.auth.gate.Gate` is the one place that turns a request (cookie, bearer
token, client address) into an :class:`access.Principal`, for the FastAPI routes
(:mod:`dashboard.api.auth`) and the Dash pages and callbacks (:mod:`dashboard.auth.dash_guard`)
alike; refusals are audited there.
"""
