from django.urls import URLPattern, URLResolver, path

from epitrace.letters import views

app_name = "letters"
urlpatterns: list[URLPattern | URLResolver] = [
    path("case/<int:pk>/<str:kind>.pdf", views.case_letter, name="case_letter"),
    path("exposure/<int:pk>/<str:kind>.pdf", views.exposure_letter, name="exposure_letter"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/preview.pdf", views.template_preview, name="template_preview"),
    path("templates/<int:pk>/history/", views.template_history, name="template_history"),
    path(
        "templates/<int:pk>/versions/<int:number>/preview.pdf",
        views.version_preview,
        name="version_preview",
    ),
    path(
        "templates/<int:pk>/versions/<int:number>/restore/",
        views.version_restore,
        name="version_restore",
    ),
]
