from django.urls import path

from epitrace.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
