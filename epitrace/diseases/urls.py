from django.urls import URLPattern, URLResolver

app_name = "diseases"
urlpatterns: list[URLPattern | URLResolver] = []
