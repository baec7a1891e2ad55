from django.urls import path

from epitrace.labs.web import views

app_name = "labs"
urlpatterns = [
    path("errors/", views.error_list, name="errors"),
    path("errors/reprocess/", views.errors_reprocess, name="errors_reprocess"),
    path("errors/<int:pk>/", views.error_detail, name="error_detail"),
    path("export/", views.export, name="export"),
    path("out-of-state/", views.out_of_state, name="out_of_state"),
]
