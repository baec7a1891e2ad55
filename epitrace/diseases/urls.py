from django.urls import path

from epitrace.diseases import views

app_name = "diseases"
urlpatterns = [
    path("", views.profile_list, name="list"),
    path("<int:pk>/", views.profile_detail, name="detail"),
    path("<int:pk>/edit/", views.profile_edit, name="edit"),
    path("<int:pk>/new-version/", views.version_new, name="new_version"),
    path("<int:pk>/what-if/", views.what_if, name="what_if"),
]
