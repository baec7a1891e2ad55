"""Base models shared by every app."""

from __future__ import annotations

from django.db import models

from epitrace.core.querysets import RestrictedQuerySet


class TimeStampedModel(models.Model):
    """A record that knows when it was created and last changed (UTC)."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    """The manager of every model holding personal data.

    Its queryset has ``restrict(user, action)``; views and APIs must start
    every query from it (see epitrace/core/querysets.py).
    """
