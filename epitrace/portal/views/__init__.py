from epitrace.portal.views.checkin import checkin, checkin_done
from epitrace.portal.views.enrol import code as enrol_code
from epitrace.portal.views.enrol import done as enrol_done
from epitrace.portal.views.enrol import start as enrol
from epitrace.portal.views.entry import open_link, switch_language
from epitrace.portal.views.interview import done as interview_done
from epitrace.portal.views.interview import step as interview_step

__all__ = [
    "checkin",
    "checkin_done",
    "enrol",
    "enrol_code",
    "enrol_done",
    "interview_done",
    "interview_step",
    "open_link",
    "switch_language",
]
