"""French and English labels of the instructor console and the operate page when the twin is another process."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "twin_unreachable": {
        "fr": "Jumeau injoignable, réessayez dans un instant : {reason}",
        "en": "The twin cannot be reached, try again in a moment: {reason}",
    },
}
