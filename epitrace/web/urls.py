from django.urls import include, path

from epitrace.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("people/", views.person_search, name="person_search"),
    path("people/duplicates/", include("epitrace.people.merge.urls")),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/panels/", views.person_panels, name="person_panels"),
    path("people/<int:pk>/share/", views.person_share, name="person_share"),
    path("people/<int:pk>/shares/<int:share_pk>/revoke/", views.share_revoke, name="share_revoke"),
    path("people/<int:pk>/transfer/", views.person_transfer, name="person_transfer"),
    path(
        "people/<int:pk>/contact-window/",
        views.person_contact_window,
        name="person_contact_window",
    ),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("break-glass/log/", views.break_glass_log, name="break_glass_log"),
    path("manage/", include("epitrace.accounts.manage.urls")),
    path("labs/", include("epitrace.labs.web.urls")),
]
