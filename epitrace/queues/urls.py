from django.urls import URLPattern, URLResolver, path

from epitrace.queues.views import supervise, tracer

app_name = "queues"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", tracer.my_queue, name="mine"),
    path("next/", tracer.take_next, name="next"),
    path("items/<int:pk>/", tracer.item_detail, name="item"),
    path("items/<int:pk>/complete/", tracer.complete, name="complete"),
    path("items/<int:pk>/release/", tracer.release, name="release"),
    path("items/<int:pk>/keep/", tracer.keep, name="keep"),
    path("supervise/", supervise.dashboard, name="supervise"),
    path("supervise/items/", supervise.item_list, name="supervise_items"),
    path("supervise/reassign/", supervise.reassign, name="reassign"),
    path("supervise/handover/<int:pk>/", supervise.hand_over, name="hand_over"),
    path("supervise/handover/<int:pk>/end/", supervise.hand_back, name="hand_back"),
]
