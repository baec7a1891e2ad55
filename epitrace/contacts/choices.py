from django.db import models
from django.utils.translation import gettext_lazy as _


class Setting(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    WORKPLACE = "workplace", _("Workplace")
    SCHOOL = "school", _("School (K-12)")
    DAYCARE = "daycare", _("Daycare")
    COLLEGE = "college", _("College")
    HEALTHCARE = "healthcare", _("Healthcare")
    CONGREGATE = "congregate", _("Congregate living")
    SPORTS = "sports", _("Sports team")
    SOCIAL = "social", _("Social gathering")
    OTHER = "other", _("Other")


class Relation(models.TextChoices):
    HOUSEHOLD = "household", _("Household member")
    FAMILY = "family", _("Family (not household)")
    PARTNER = "partner", _("Intimate partner")
    WORK = "work", _("Co-worker")
    SCHOOL = "school", _("Classmate / school")
    SOCIAL = "social", _("Friend / social")
    HEALTHCARE = "healthcare", _("Healthcare (patient or provider)")
    OTHER = "other", _("Other")


class Proximity(models.TextChoices):
    CLOSE = "close", _("Close contact (within 6 feet, 15+ minutes)")
    PROXIMATE = "proximate", _("Same room, not close")
    UNKNOWN = "unknown", _("Unknown")


class MonitoringStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not yet notified")
    MONITORING = "monitoring", _("In quarantine / monitoring")
    COMPLETED = "completed", _("Monitoring completed")
    BECAME_CASE = "became_case", _("Became a case")
    LOST = "lost", _("Lost to follow-up")
    NOT_REQUIRED = "not_required", _("No monitoring required")


class ExposureSource(models.TextChoices):
    """Who told public health about the exposure."""

    TRACER = "tracer", _("Named to a tracer")
    PORTAL = "portal", _("Named in a portal self-interview")
    EN_ENROLMENT = "en_enrolment", _("Self-enrolled after an exposure notification")
