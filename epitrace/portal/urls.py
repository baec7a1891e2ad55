from django.urls import path

from epitrace.portal import views

app_name = "portal"

urlpatterns = [
    path("<str:token>/", views.open_link, name="open"),
]
