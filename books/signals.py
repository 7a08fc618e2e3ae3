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
