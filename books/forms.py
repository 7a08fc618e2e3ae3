from django import forms
from django.conf import settings

from books.validators import validate_plain_text

# Beyond this a page number is a typo or a probe; MySQL's OFFSET would overflow long before.
MAX_PAGE = 1_000_000


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=settings.SEARCH_QUERY_MAX_LENGTH,
        validators=[validate_plain_text],
        error_messages={
            "max_length": "Search queries can be at most %(limit_value)d characters "
            "(this one has %(show_value)d). Please shorten it."
        },
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={
            "invalid": "The page number must be a whole number such as 1 or 2.",
            "min_value": "Page numbers start at 1.",
            "max_value": "There are not that many pages.",
        },
    )
