"""The errors queue services raise, with a message a tracer can act on."""


class QueueError(Exception):
    """A queue action that cannot be done now (the item moved on, a limit was reached)."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotVisible(QueueError):
    """The item asked for by id is not one the user may change, or does not exist."""
