"""Template filters of the appeals and bonus pages."""

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def plain_number(value, places: int = 4):
    """A number with at most ``places`` decimals and no trailing zeros, in the reader's
    locale: 1.05 → "1,05" in Russian, 1.0 → "1", 0.15 → "0,15"."""
    if value is None or value == "":
        return ""
    number = Decimal(str(round(float(value), int(places))))
    number = number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()
    return formats.number_format(number, use_l10n=True)
