from django.core.exceptions import ValidationError


def isbn13_check_digit(first_twelve: str) -> str:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def validate_isbn13(value: str) -> None:
    if len(value) != 13 or not value.isdigit():
        raise ValidationError(
            "Enter an ISBN-13: 13 digits, hyphens allowed (e.g. 978-0-14-143951-8).",
            code="isbn_format",
        )
    if isbn13_check_digit(value[:12]) != value[12]:
        raise ValidationError(
            "This ISBN-13's check digit is wrong; please check the number for a typo.",
            code="isbn_checksum",
        )
