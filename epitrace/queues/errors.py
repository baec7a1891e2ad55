"""The errors queue services raise, with a message a tracer can act on."""


class QueueError(Exception):
    """A queue action that cannot be done now (the item moved on, a limit was reached)."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""
