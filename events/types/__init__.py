"""The event types this project publishes, one module each; importing this package registers
them (see events.registry). A new type is a new module here, imported below."""

from events.types import book_changes, book_viewed, search_performed

__all__ = ["book_changes", "book_viewed", "search_performed"]
