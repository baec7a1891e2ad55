from django.urls import URLPattern, include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from epitrace.api import views
from epitrace.api.lab_reports import LabReportView
from epitrace.api.schema import ApiKeyScheme
from epitrace.labs.web.api import lab_results_export

# Importing the extension registers it with drf-spectacular.
__all__ = ["ApiKeyScheme", "urlpatterns"]
router = SimpleRouter(trailing_slash=True)
router.register("cases", views.CaseViewSet, basename="api-case")
router.register("persons", views.PersonViewSet, basename="api-person")
router.register("lab-results", views.LabResultViewSet, basename="api-labresult")

urlpatterns = [
    path("v1/lab-reports", LabReportView.as_view(), name="api-lab-reports"),
    # Before the router: its lab-results/<pk>/ would take "export" for an id.
    path("v1/lab-results/export/", lab_results_export, name="api-labresult-export"),
    path("v1/", include(router.urls)),
    # The schema describes the API; it holds no record, so it is public.
    path(
        "v1/schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="api-schema",
    ),
]

# The API authenticates every request itself (key or session): the staff
# login redirect must not answer for it.
for pattern in [*router.urls, *urlpatterns]:
    if isinstance(pattern, URLPattern):
        pattern.callback.login_required = False  # type: ignore[attr-defined]
