from epitrace.portal.views.entry import open_link

__all__ = ["open_link"]
