from django.urls import URLPattern, URLResolver, path

from epitrace.interviews import views

app_name = "interviews"
urlpatterns: list[URLPattern | URLResolver] = [
    path("cases/<int:pk>/panels/", views.case_panels, name="panels"),
    path("cases/<int:pk>/autosave/", views.autosave, name="autosave"),
    path("cases/<int:pk>/complete/", views.complete, name="complete"),
    path("cases/<int:pk>/attempts/", views.attempt, name="attempt"),
    path("cases/<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("cases/<int:pk>/household/", views.household_add, name="household_add"),
    path("cases/<int:pk>/contacts/<int:exposure_pk>/", views.contact_edit, name="contact_edit"),
    path(
        "cases/<int:pk>/contacts/<int:exposure_pk>/remove/",
        views.contact_remove,
        name="contact_remove",
    ),
]
