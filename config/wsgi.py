import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Every view module now, not on the first request; then the garbage collector
# is told to leave what a web process loaded for its lifetime alone
# (``gc.freeze``) and to collect less often. A page makes tens of thousands of
# short-lived objects that reference counting frees; with the default
# thresholds the collector ran several times per page and walked the whole
# heap of modules now and then (about 4% of a page's time, measured).
get_resolver().url_patterns  # noqa: B018 - importing the views is the point
gc.collect()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
