"""The HTTP API (FastAPI, "bigger applications" layout): one router per resource."""
