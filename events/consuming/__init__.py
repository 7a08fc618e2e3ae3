"""Consuming events: one loop for every consumer group (`loop`), which applies each event once
(`dedupe`) and copies what it cannot apply to the dead-letter topic (`dead_letter`)."""

from events.consuming.loop import Consumer, ConsumerStats, Handler

__all__ = ["Consumer", "ConsumerStats", "Handler"]
