"""The project's URLs with the audit screens mounted where config/urls.py mounts them."""

from django.urls import include, path

urlpatterns = [
    path("audit/", include("epitrace.audit.urls")),
    path("", include("config.urls")),
]
