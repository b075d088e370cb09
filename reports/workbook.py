"""The monthly report in the official layout: its data snapshot, and the .xlsx made from it.

The snapshot (``report_data``) is plain JSON kept on the report; the workbook and the A4 print view are both made
from it, so an approved report shows the same figures everywhere and never changes.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from areas.models import Area, Level
from imports.base import neutralise
from reports import selectors
from reports.models import Indicator
from reports.periods import Period

COLUMNS = ["teams", "members", "members_trained", "households_visited", "visits"]
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def _num(value) -> float | int | None:
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _unit_lines(area: Area) -> list[str]:
    """The reporting unit, as in the top-left block of an official document."""
    if area.level == Level.PROVINCE:
        return [f"UBND {area.name}".upper(), "SỞ KHOA HỌC VÀ CÔNG NGHỆ"]
    if area.level == Level.HAMLET:
        commune = area.parent
        return [f"UBND {commune.name}".upper() if commune else "", f"TỔ CNSCĐ {area.name}".upper()]
    return [f"UBND {area.name}".upper(), "TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"]


def _place(area: Area) -> str:
    province = area.ancestors().filter(level=Level.PROVINCE).first() or area
    name = province.name
    for prefix in ("Thành phố ", "Tỉnh "):
        name = name.removeprefix(prefix)
    return name


def _cells(indicators: list[Indicator], values: dict, targets: dict, area_id: int) -> dict:
    """An area's row of the table: each indicator's value, target and % achieved."""
    cells = {}
    for indicator in indicators:
        value = selectors.family_value(indicator.code, values.get(area_id, {}))
        target = targets.get((area_id, indicator.code))
        cells[indicator.code] = {
            "value": _num(value),
            "target": _num(target),
            "achievement": _num(selectors.achievement(value, target)),
        }
    return cells


def _idle_rows(area: Area, period: Period) -> list[dict]:
    """The teams of ``area`` with no visit in ``period``, for the report's second sheet."""
    idle = (
        selectors.idle_teams(area=area, start=period.start, end=period.end)
        .with_roster()
        .select_related("area__parent")
        .order_by("area__path", "name")
    )
    return [
        {
            "team": t.name,
            "area": t.area.name,
            "parent": t.area.parent.name if t.area.parent else "",
            "leader": t.leader_name or "",
            "members": t.active_member_count,
            "last_visit": t.last_visit.strftime("%d/%m/%Y") if t.last_visit else "",
        }
        for t in idle
    ]


def report_data(*, area: Area, period: Period, generated_on: date) -> dict:
    """The figures of the monthly report of ``area`` for ``period`` (a month), as a JSON-able snapshot: a row per
    child area (or the area alone), the total, the idle teams."""
    indicators = [i for i in selectors.indicator_list() if i.code in COLUMNS or i.activity_type_id]
    indicators.sort(key=lambda i: (COLUMNS.index(i.code) if i.code in COLUMNS else 100, i.order))
    children = list(Area.objects.filter(parent=area).order_by("code", "name"))
    row_areas = children or [area]
    ids = [a.pk for a in row_areas] + ([area.pk] if children else [])
    values, _computed = selectors.kpi_values(ids, period)
    targets = selectors.targets_for(ids, period, indicators)
    with_target = [i.code for i in indicators if any(code == i.code for (_a, code) in targets)]
    month = period.start.strftime("%m/%Y")
    return {
        "area": area.pk,
        "area_name": area.name,
        "period": period.label,
        "month": month,
        "unit": _unit_lines(area),
        "place_date": f"{_place(area)}, ngày {generated_on.day:02d} tháng {generated_on.month:02d} "
        f"năm {generated_on.year}",
        "title": f"BÁO CÁO KẾT QUẢ HOẠT ĐỘNG TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG THÁNG {month}",
        "columns": [
            {"code": i.code, "name": i.name_vi, "unit": i.unit, "target": i.code in with_target} for i in indicators
        ],
        "row_label": "Thôn, ấp, khu phố" if area.level == Level.COMMUNE else "Đơn vị",
        "rows": [{"area": a.pk, "name": a.name, "cells": _cells(indicators, values, targets, a.pk)} for a in row_areas],
        "total": {"area": area.pk, "name": area.name, "cells": _cells(indicators, values, targets, area.pk)},
        "idle_teams": _idle_rows(area, period),
        "generated_on": generated_on.isoformat(),
    }


THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(name="Times New Roman", bold=True, size=12)
PLAIN = Font(name="Times New Roman", size=12)
ITALIC = Font(name="Times New Roman", italic=True, size=12)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
NUMBER = "#,##0"  # Excel shows the thousands separator of the reader's locale: "1.234" in Vietnamese
DECIMAL = "#,##0.0"


def report_headers(data: dict) -> list[tuple[str, str, str]]:
    """The figure columns of a report snapshot as (label, indicator code, part): each indicator's value, and its
    target and % achieved where a target is set. The workbook and the print view share them."""
    headers = []
    for column in data["columns"]:
        headers.append((f"{column['name']} ({column['unit']})", column["code"], "value"))
        if column["target"]:
            headers.append(("Chỉ tiêu", column["code"], "target"))
            headers.append(("Tỷ lệ đạt (%)", column["code"], "achievement"))
    return headers


HEADER_ROW = 8  # the table's header; the rows above hold the unit, the motto and the title
IDLE_HEADERS = ["STT", "Tổ CNSCĐ", "Thôn, ấp", "Xã, phường", "Tổ trưởng", "Số thành viên", "Lần hỗ trợ gần nhất"]


def _merged(sheet, row: int, first: int, end: int, text: str, font=PLAIN) -> None:
    sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=end)
    cell = sheet.cell(row=row, column=first, value=text)
    cell.font, cell.alignment = font, CENTER


def _heading(sheet, data: dict, width: int, half: int) -> None:
    """The unit (left) and the motto with place and date (right), then the title."""
    _merged(sheet, 1, 1, half, data["unit"][0], PLAIN)
    _merged(sheet, 2, 1, half, data["unit"][1], BOLD)
    _merged(sheet, 1, half + 1, width, MOTTO[0], BOLD)
    _merged(sheet, 2, half + 1, width, MOTTO[1], BOLD)
    _merged(sheet, 3, half + 1, width, data["place_date"], ITALIC)
    _merged(sheet, 5, 1, width, data["title"], Font(name="Times New Roman", bold=True, size=14))
    _merged(sheet, 6, 1, width, f"Đơn vị báo cáo: {data['area_name']}", ITALIC)


def _table_row(sheet, headers: list, row: int, number, name: str, cells: dict, font=PLAIN) -> None:
    values = [number, neutralise(name)] + [cells[code][part] for _label, code, part in headers]
    for index, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=index, value=value)
        cell.font, cell.border = font, BOX
        if index > 2:
            cell.alignment = Alignment(horizontal="right")
            part = headers[index - 3][2]
            cell.number_format = DECIMAL if part == "achievement" else NUMBER
        elif index == 1:
            cell.alignment = CENTER


def _table(sheet, data: dict, headers: list) -> int:
    """The header, a row per area and the total; the row of the total."""
    titles = ["STT", data["row_label"], *[h[0] for h in headers]]
    for index, title in enumerate(titles, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=title)
        cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX
    sheet.row_dimensions[HEADER_ROW].height = 64
    row = HEADER_ROW + 1
    for number, item in enumerate(data["rows"], start=1):
        _table_row(sheet, headers, row, number, item["name"], item["cells"])
        row += 1
    _table_row(sheet, headers, row, None, "TỔNG CỘNG", data["total"]["cells"], BOLD)
    return row


def _signatures(sheet, row: int, width: int, half: int) -> None:
    _merged(sheet, row, 1, half, "NGƯỜI LẬP BIỂU", BOLD)
    _merged(sheet, row, half + 1, width, "THỦ TRƯỞNG ĐƠN VỊ", BOLD)
    _merged(sheet, row + 1, 1, half, "(Ký, ghi rõ họ tên)", ITALIC)
    _merged(sheet, row + 1, half + 1, width, "(Ký tên, đóng dấu)", ITALIC)


def _page_setup(sheet, width: int, last_row: int) -> None:
    """Column widths, frozen headings, and one A4 landscape page wide with the header repeated."""
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 30
    for index in range(3, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=3)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_area = f"A1:{get_column_letter(width)}{last_row}"


def _report_sheet(sheet, data: dict) -> None:
    headers = report_headers(data)
    width = 2 + len(headers)
    half = max(2, width // 2)
    _heading(sheet, data, width, half)
    row = _table(sheet, data, headers) + 2
    sheet.cell(row=row, column=1, value="Ghi chú: ô để trống là chỉ tiêu chưa có số liệu báo cáo.").font = ITALIC
    row += 2
    _signatures(sheet, row, width, half)
    _page_setup(sheet, width, row + 1)


def _idle_sheet(sheet, data: dict) -> None:
    sheet.cell(row=1, column=1, value=f"CÁC TỔ CNSCĐ KHÔNG CÓ HOẠT ĐỘNG TRONG THÁNG {data['month']}").font = BOLD
    for index, title in enumerate(IDLE_HEADERS, start=1):
        cell = sheet.cell(row=3, column=index, value=title)
        cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX
    for number, team in enumerate(data["idle_teams"], start=1):
        names = [neutralise(team[key]) for key in ("team", "area", "parent", "leader")]
        values = [number, *names, team["members"], team["last_visit"] or "Chưa có"]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=3 + number, column=index, value=value)
            cell.font, cell.border = PLAIN, BOX
    for letter, size in zip("ABCDEFG", (6, 30, 22, 22, 24, 14, 18), strict=True):
        sheet.column_dimensions[letter].width = size


def report_workbook(data: dict) -> bytes:
    """The .xlsx of a report snapshot: motto header, unit, title, table with totals, idle teams, signatures."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Báo cáo"
    _report_sheet(sheet, data)
    _idle_sheet(workbook.create_sheet("Tổ chưa hoạt động"), data)
    workbook.properties.creator = "CNSCĐ Portal"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def previous_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


__all__ = ["Indicator", "report_data", "report_workbook", "previous_month"]
