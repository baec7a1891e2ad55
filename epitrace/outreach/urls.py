from django.urls import URLPattern, URLResolver, path

from epitrace.outreach import views

app_name = "outreach"
urlpatterns: list[URLPattern | URLResolver] = [
    path("log/", views.message_log, name="log"),
    path("replies/", views.needs_staff, name="needs_staff"),
    path("replies/<int:pk>/handled/", views.mark_handled, name="mark_handled"),
    path("twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
    path("twilio/status/", views.twilio_status, name="twilio_status"),
]
