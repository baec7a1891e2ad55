"""The site's URLs with the export API mounted where epitrace/api/urls.py will mount it.

Before the lab-results router: ``lab-results/<pk>/`` would otherwise take
``lab-results/export/`` for a result with the id "export".
"""

from django.urls import path

from config.urls import urlpatterns as site
from epitrace.labs.web.api import lab_results_export

urlpatterns = [
    path("api/v1/lab-results/export/", lab_results_export, name="api-labresult-export"),
    *site,
]
