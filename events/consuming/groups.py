"""The consumer groups and the read models they build, each declared once in its app's
`handlers.py`: the consumer commands, the pipeline page, the metrics and `rebuild_view` all
work off these declarations."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import models

from events import registry
from events.consuming.dedupe import Handler


@dataclass(frozen=True)
class ReadModel:
    """A view a group derives from events: the tables that hold it and the handlers (a part of
    the group's) that fill them, so that it can be emptied and rebuilt from the topic."""

    name: str
    models: tuple[type[models.Model], ...]
    handlers: Mapping[str, Handler]


@dataclass(frozen=True)
class ConsumerGroup:
    group_id: str
    handlers: Mapping[str, Handler]
    read_models: tuple[ReadModel, ...] = field(default=())

    @property
    def topics(self) -> list[str]:
        return sorted({registry.get(name).topic for name in self.handlers})


_groups: dict[str, ConsumerGroup] = {}


def register(group: ConsumerGroup) -> ConsumerGroup:
    _groups[group.group_id] = group
    return group


def consumer_groups() -> list[ConsumerGroup]:
    return sorted(_groups.values(), key=lambda group: group.group_id)


def read_models() -> dict[str, tuple[ConsumerGroup, ReadModel]]:
    """Every rebuildable view by name, with the group that builds it."""
    return {model.name: (group, model) for group in _groups.values() for model in group.read_models}
