"""The refusals of the exercise layer."""

from __future__ import annotations


class ExerciseClosed(PermissionError):
    """No exercise is running (none started, or it has ended): reports and hints are refused.

    A :class:`PermissionError`, so callers that map refusals to 403 still refuse it; the API
    answers 409 (the plant's state, not the caller's rights, is what is wrong).

    >>> issubclass(ExerciseClosed, PermissionError)
    True
    """


__all__ = ["ExerciseClosed"]
