"""The reference data a working installation needs, installable again at any time.

The migrations install it once; this puts back whatever is missing (after a
test flushed the tables, or on a database restored without it) without
touching rows an administrator edited.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth.hashers import make_password


def ensure_reference_data() -> None:
    from epitrace.accounts.models import User
    from epitrace.diseases.reference import load_reference
    from epitrace.jurisdictions.models import Jurisdiction
    from epitrace.letters.defaults import install_defaults

    load_reference(global_apps)
    install_defaults(global_apps)
    if not Jurisdiction.objects.filter(parent__isnull=True).exists():
        Jurisdiction(
            code="state",
            name=settings.EPITRACE_STATE_NAME,
            kind="state",
            state_code=settings.EPITRACE_STATE_CODE,
            time_zone=settings.TIME_ZONE,
        ).save()
    User.objects.get_or_create(
        is_system=True,
        defaults={"username": "system", "display_name": "System", "password": make_password(None)},
    )
