"""What an audit event records: the kinds of access and change public health must account for."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    READ = "read", _("Read")
    SEARCH = "search", _("Search")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    MFA = "mfa", _("MFA event")
    DENIED = "denied", _("Denied lookup")
    PERMISSION_CHANGE = "permission_change", _("Permission change")
    SHARE = "share", _("Share")
    UNSHARE = "unshare", _("Unshare")
    TRANSFER = "transfer", _("Transfer")
    BREAK_GLASS = "break_glass", _("Break-glass access")
    EXPORT = "export", _("Export")
    PURGE = "purge", _("Purge")
    MERGE = "merge", _("Merge")
    UNMERGE = "unmerge", _("Unmerge")
