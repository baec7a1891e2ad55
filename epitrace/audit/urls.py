from django.urls import path

from epitrace.audit import views

app_name = "audit"

urlpatterns = [
    path("people/<int:pk>/", views.person_access, name="person_access"),
    path("users/<int:pk>/", views.user_activity, name="user_activity"),
]
