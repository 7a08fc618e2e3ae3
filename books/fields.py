from django.db import models

from books.validators import validate_isbn13


class IsbnField(models.CharField):
    """An optional ISBN-13, stored as its 13 digits so that uniqueness means one edition."""

    default_validators = [validate_isbn13]

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", 13)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        # Room for the hyphens and spaces that to_python() strips.
        return super().formfield(**{"max_length": 20, **kwargs})

    def get_prep_value(self, value):
        # Also on writes that skip full_clean(), so "" never collides with another "".
        return self.to_python(super().get_prep_value(value))

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        # People paste ISBNs with hyphens and spaces; an empty one means "none".
        return value.replace("-", "").replace(" ", "").strip() or None
