"""Import kind ``targets``: a province administrator assigns targets (giao chỉ tiêu) from a spreadsheet.

Natural key: (unit code, indicator, year, month) — a re-import replaces values, never adds a second target.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from areas import policy
from areas.models import Area, Level
from imports.base import Column, ImportHandler, RowError
from reports import selectors
from reports.models import Target


def _vn_decimal(text: str) -> str:
    """Numbers as typed in Vietnam: "50.000" is fifty thousand, "12,5" twelve and a half; "12.5" stays 12.5."""
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text) or "," in text:
        return text.replace(".", "").replace(",", ".")
    return text


class TargetImport(ImportHandler):
    kind = "targets"
    title = "Giao chỉ tiêu"
    columns = [
        Column(
            "area_code", "Mã đơn vị", True, gettext_lazy("Official code of the province, district or commune."), "80"
        ),
        Column("area_name", "Tên đơn vị", False, gettext_lazy("For reading only; the code decides."), "Tây Ninh"),
        Column("indicator", "Chỉ số", True, gettext_lazy("Indicator code or its Vietnamese name."), "vneid_activation"),
        Column("year", "Năm", True, gettext_lazy("The year of the target."), "2026"),
        Column("month", "Tháng", False, gettext_lazy("1–12 for a monthly target; empty for the whole year."), ""),
        Column("value", "Chỉ tiêu", True, gettext_lazy("A number of at least 0."), "50000"),
    ]
    instructions = [
        gettext_lazy("One row per target. Columns marked * are required. Keep the first row (the headers) as it is."),
        gettext_lazy("A target already set (same unit, indicator, year and month) gets the new value."),
        gettext_lazy(
            "If any row has an error nothing is saved; the error list gives the row, the column and the reason."
        ),
    ]

    def check(self, rows, progress) -> list[RowError]:
        errors: list[RowError] = []
        indicators = {}
        for indicator in selectors.indicator_list():
            indicators[indicator.code.lower()] = indicator
            indicators[indicator.name_vi.lower()] = indicator
        codes = {str(raw.get("area_code") or "").strip() for _n, raw in rows}
        today = timezone.localdate()
        areas: dict[str, Area] = {}
        scoped = policy.areas(self.acting_user, "target", "add").exclude(level=Level.HAMLET).filter(code__in=codes)
        # Codes were reused in 2025: the unit valid today wins over a former one with the same code.
        for area in scoped.order_by("code", "valid_to"):
            if area.code not in areas or area.is_valid_on(today):
                areas[area.code] = area
        seen: dict[tuple, int] = {}
        self._plan = []
        for number, raw in rows:
            row_errors: list[RowError] = []
            code = self.text(raw, "area_code", row_errors, number)
            indicator_text = self.text(raw, "indicator", row_errors, number)
            area = areas.get(code)
            if area is None:
                message = _("Unknown unit code “%(code)s” (or outside your area).") % {"code": code}
                row_errors.append(RowError(number, self.header_of("area_code"), message))
            indicator = indicators.get(indicator_text.lower())
            if indicator is None:
                message = _("Unknown indicator “%(value)s”.") % {"value": indicator_text}
                row_errors.append(RowError(number, self.header_of("indicator"), message))
            year = self._integer(raw, "year", number, row_errors, 2000, 2100)
            month = self._integer(raw, "month", number, row_errors, 1, 12, required=False)
            value = None
            text = self.text(raw, "value", row_errors, number).replace(" ", "")
            try:
                value = Decimal(_vn_decimal(text))
                if value < 0 or value != value.quantize(Decimal("0.1")):
                    raise InvalidOperation
            except InvalidOperation:
                row_errors.append(RowError(number, self.header_of("value"), _("Enter a number of at least 0.")))
            if not row_errors:
                key = (area.pk, indicator.pk, year, month)
                if key in seen:
                    row_errors.append(RowError(number, self.header_of("indicator"),
                                               _("Same target as row %(row)s.") % {"row": seen[key]}))  # fmt: skip
                seen[key] = number
                self._plan.append((area, indicator, year, month, value))
            errors.extend(row_errors)
        progress(len(rows))
        return errors

    def _integer(self, raw, key, number, errors, low, high, required=True) -> int | None:
        text = self.text(raw, key, errors, number)
        if not text:
            if required:
                errors.append(RowError(number, self.header_of(key), _("This column is required.")))
            return None
        try:
            value = int(float(text))
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            message = _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            errors.append(RowError(number, self.header_of(key), message))
            return None
        return value

    def save(self) -> tuple[int, int, int]:
        created = updated = unchanged = 0
        existing = {}
        if self._plan:
            q = Q()
            for area, indicator, year, _month, _value in self._plan:
                q |= Q(area=area, indicator=indicator, year=year)
            existing = {(t.area_id, t.indicator_id, t.year, t.month): t for t in Target.objects.filter(q)}
        new = []
        for area, indicator, year, month, value in self._plan:
            target = existing.get((area.pk, indicator.pk, year, month))
            if target is None:
                new.append(Target(area=area, indicator=indicator, year=year, month=month, value=value,
                                  created_by=self.acting_user))  # fmt: skip
                created += 1
            elif target.value != value:
                target.value = value
                target.save(update_fields=["value", "updated_at"])
                updated += 1
            else:
                unchanged += 1
        Target.objects.bulk_create(new, batch_size=1000)
        return created, updated, unchanged

    def export_rows(self, queryset):
        for t in queryset.select_related("area", "indicator").order_by("year", "month", "area__path"):
            yield [t.area.code, t.area.name, t.indicator.code, t.year, t.month or "", t.value]
