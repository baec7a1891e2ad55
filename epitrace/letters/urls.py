from django.urls import URLPattern, URLResolver

app_name = "letters"
urlpatterns: list[URLPattern | URLResolver] = []
