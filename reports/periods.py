"""Reporting periods: ``2026`` (year), ``2026-Q4`` (quarter), ``2026-10`` (month), ``2026-10-01..2026-10-10``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

YEAR, QUARTER, MONTH, RANGE = "year", "quarter", "month", "range"


# Years a period may fall in. Beyond them a year is a typing error (``9999-12``), and Python's dates end in 9999,
# where a month's end or a quarter's would be a 500.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    kind: str
    label: str
    start: date
    end: date

    @property
    def stored(self) -> bool:
        """Whether the rollup keeps this period in the summary tables (ranges are computed on request)."""
        return self.kind != RANGE

    @property
    def months(self) -> list[tuple[int, int]]:
        result, day = [], self.start.replace(day=1)
        while day <= self.end:
            result.append((day.year, day.month))
            day = (day + timedelta(days=32)).replace(day=1)
        return result


def _month_end(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def parse_period(text: str) -> Period:
    """Parse a period as docs/API.md writes it; raises ``PeriodError`` with a sentence for the user (a year outside
    ``FIRST_YEAR``–``LAST_YEAR`` included). Every reader of a period — KPIs, reports, the team's month — uses it."""
    if not isinstance(text, str):
        text = ""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}", text, flags=re.ASCII):
            year = int(text)
            _year_check(year)
            return Period(YEAR, text, date(year, 1, 1), date(year, 12, 31))
        if match := re.fullmatch(r"(\d{4})-Q([1-4])", text, flags=re.IGNORECASE | re.ASCII):
            year, quarter = int(match[1]), int(match[2])
            _year_check(year)
            first = 3 * quarter - 2
            return Period(QUARTER, f"{year}-Q{quarter}", date(year, first, 1), _month_end(year, first + 2))
        if match := re.fullmatch(r"(\d{4})-(\d{2})", text, flags=re.ASCII):
            year, month = int(match[1]), int(match[2])
            _year_check(year)
            return Period(MONTH, text, date(year, month, 1), _month_end(year, month))
        if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text, flags=re.ASCII):
            start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2])
            _year_check(start.year)
            _year_check(end.year)
            if end < start:
                raise PeriodError(_("The end of the range is before its start."))
            if (end - start).days > 3 * 366:
                raise PeriodError(_("A date range may cover at most three years."))
            return Period(RANGE, text, start, end)
    except ValueError as error:
        if isinstance(error, PeriodError):
            raise
        raise PeriodError(_("This is not a valid date.")) from error
    raise PeriodError(
        _("Give the period as 2026, 2026-Q4, 2026-10 or a range 2026-10-01..2026-10-10."),
    )


def _year_check(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            _("The year must be between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )


def month_label(period: Period) -> str:
    """MM/YYYY for a month period (report titles)."""
    return period.start.strftime("%m/%Y")
