from django.urls import path

from epitrace.people.merge import views

app_name = "duplicates"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.compare, name="compare"),
    path("merges/<int:pk>/unmerge/", views.unmerge, name="unmerge"),
]
