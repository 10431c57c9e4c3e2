"""A stand-in for core/supervisor.py's two hooks, so the folder protocol is tested with the real events
but without the real loop."""

from dataclasses import dataclass, field


@dataclass
class FakeSupervisor:
    """Implements only the two hooks the bridge uses, the way the supervisor's contract states them."""

    sources: list = field(default_factory=list)
    listeners: list = field(default_factory=list)

    def add_command_source(self, poll) -> None:
        self.sources.append(poll)

    def add_listener(self, callback) -> None:
        self.listeners.append(callback)

    def emit(self, event) -> None:
        for listener in self.listeners:
            listener(event)

    def poll(self) -> list:
        return [c for source in self.sources for c in source()]
