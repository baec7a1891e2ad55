"""User administration, under /manage/ (included from epitrace/web/urls.py)."""

from django.urls import URLPattern, path

from epitrace.accounts.manage import views

app_name = "manage"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/roles/", views.membership_add, name="membership_add"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("users/<int:pk>/mfa-reset/", views.user_mfa_reset, name="user_mfa_reset"),
    path(
        "users/<int:pk>/logout-everywhere/",
        views.user_logout_everywhere,
        name="user_logout_everywhere",
    ),
    path("users/<int:pk>/password-link/", views.user_password_link, name="user_password_link"),
    path("roles/<int:pk>/remove/", views.membership_remove, name="membership_remove"),
    path("roles/<int:pk>/team/", views.membership_move, name="membership_move"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/members/", views.team_member_add, name="team_member_add"),
]
