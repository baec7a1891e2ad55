from django.urls import URLPattern

app_name = "labs"
urlpatterns: list[URLPattern] = []
