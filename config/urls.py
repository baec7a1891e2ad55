from django.urls import include, path

from epitrace.accounts import views as account_views
from epitrace.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path(
        "accounts/logout-everywhere/",
        account_views.logout_everywhere,
        name="account_logout_everywhere",
    ),
    # allauth's pages, with its two-factor pages under accounts/2fa/.
    path("accounts/", include("allauth.urls")),
    path("api/", include("epitrace.api.urls")),
    path("audit/", include("epitrace.audit.urls")),
    path("queues/", include("epitrace.queues.urls")),
    path("letters/", include("epitrace.letters.urls")),
    path("outreach/", include("epitrace.outreach.urls")),
    path("wording/", include("epitrace.wording.urls")),
    path("interviews/", include("epitrace.interviews.urls")),
    path("profiles/", include("epitrace.diseases.urls")),
    # The constituent portal: its own URL space, no staff session.
    path("p/", include("epitrace.portal.urls")),
    path("", include("epitrace.web.urls")),
]
