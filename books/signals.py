from django.dispatch import Signal

search_performed = Signal()
"""
Sent by ``books.services.perform_search`` once per search whose query is not empty, from the
search page and the API alike. Receivers must not raise: it is sent with ``send_robust``, and a
failing receiver is logged without failing the search.

Arguments:

``sender``
    The ``Book`` model class.
``query``
    The search as typed, stripped of surrounding white space (never empty).
``offset``
    How many matching books the page skipped (0 for the first page).
``limit``
    The page size the results were cut to.
``results``
    The books on this page, as ``books.serializers.BookJSON`` dicts (the API's JSON shape).
``total``
    How many books match the query in all.
``visitor_id``
    The searching browser's ``uid`` cookie, or ``None`` when there is none.
"""

books_added = Signal()
"""
Sent when books were added to the catalogue, inside the transaction that saved them (by
``books.receivers`` on a Book's post_save, and by the bulk loaders for each batch), so that
receivers can write in that same transaction: the books and what announces them commit
together, or neither.

Arguments:

``sender``
    The ``Book`` model class.
``books``
    The saved books, as ``books.serializers.BookJSON`` dicts (with their ids).
"""

books_changed = Signal()
"""
Sent when books were changed, inside the saving transaction. Arguments as for ``books_added``:
``books`` holds them as saved.
"""

books_removed = Signal()
"""
Sent when books were deleted, inside the deleting transaction. Arguments as for
``books_added``: ``books`` holds them as they were before the deletion.
"""

book_viewed = Signal()
"""
Sent by ``books.services.record_view`` when a visitor opened a book's page (GET only: a HEAD
request, as link checkers and bots send, opens nothing).

Arguments:

``sender``
    The ``Book`` model class.
``book``
    The book, as a ``books.serializers.BookJSON`` dict.
``visitor_id``
    The browser's ``uid`` cookie, or ``None`` when there is none.
"""
