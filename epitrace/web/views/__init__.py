"""Staff pages. Thin views: parse the request, restrict, render.

Every query for personal data starts from ``Model.objects.restrict(user,
"view")``, related lists included, and single records come from
``get_object_or_404`` over a restricted queryset, so another jurisdiction's
record answers exactly like a missing one.
"""

from epitrace.web.views.cases import case_detail, case_list
from epitrace.web.views.home import home
from epitrace.web.views.people import (
    person_contact_window,
    person_detail,
    person_panels,
    person_search,
)
from epitrace.web.views.sharing import (
    break_glass,
    break_glass_log,
    person_share,
    person_transfer,
    share_revoke,
)

__all__ = [
    "break_glass",
    "break_glass_log",
    "case_detail",
    "case_list",
    "home",
    "person_contact_window",
    "person_detail",
    "person_panels",
    "person_search",
    "person_share",
    "person_transfer",
    "share_revoke",
]
