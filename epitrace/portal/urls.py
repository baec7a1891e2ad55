from django.urls import path

from epitrace.portal import views

app_name = "portal"

# Fixed paths first: a token never starts with one of these words and a slash.
urlpatterns = [
    path("language/", views.switch_language, name="language"),
    path("interview/", views.interview_step, name="interview"),
    path("interview/done/", views.interview_done, name="interview_done"),
    path("interview/<slug:step>/", views.interview_step, name="interview_step"),
    path("checkin/", views.checkin, name="checkin"),
    path("checkin/done/", views.checkin_done, name="checkin_done"),
    path("enrol/", views.enrol, name="enrol"),
    path("enrol/code/", views.enrol_code, name="enrol_code"),
    path("enrol/done/", views.enrol_done, name="enrol_done"),
    path("<str:token>/", views.open_link, name="open"),
]
