from django.urls import URLPattern, URLResolver, path

from epitrace.wording import views

app_name = "wording"
_ONE = "<int:jurisdiction_id>/<str:channel>/<str:template>/<str:language>/"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.wording_list, name="list"),
    path("start/", views.wording_start, name="start"),
    path(_ONE, views.wording_edit, name="edit"),
    path(f"{_ONE}preview/", views.wording_preview, name="preview"),
    path(f"{_ONE}revert/", views.wording_revert, name="revert"),
]
