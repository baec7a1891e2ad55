"""The lab screens: rejected messages, the export, the out-of-state queue.

Thin views, as in ``epitrace.web.views``: every query for personal data
starts from ``restrict(request.user, action)`` and one message comes from
``visible_or_404`` before the method is judged.
"""

from epitrace.labs.web.views.errors import error_detail, error_list, errors_reprocess
from epitrace.labs.web.views.export import export
from epitrace.labs.web.views.out_of_state import out_of_state

__all__ = ["error_detail", "error_list", "errors_reprocess", "export", "out_of_state"]
