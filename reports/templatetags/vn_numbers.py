"""Numbers as Vietnamese reports write them: 1.234.567 and 12,5 (Django's ``vi`` locale has no grouping)."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def vn_number(value, decimals: int = 0) -> str:
    """``3003`` → ``3.003``; ``12.5`` with 1 decimal → ``12,5``; empty stays empty (never a silent 0)."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    text = f"{number:,.{int(decimals)}f}" if decimals else f"{number:,.0f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")
