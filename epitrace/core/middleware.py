"""Every staff page requires a login unless its view says otherwise.

Django's own LoginRequiredMiddleware, named here so the rule has one home:
public views (login, health probes, the portal) are marked with
``django.contrib.auth.decorators.login_not_required``.
"""

from django.contrib.auth.middleware import LoginRequiredMiddleware as _Base


class LoginRequiredMiddleware(_Base):
    pass
