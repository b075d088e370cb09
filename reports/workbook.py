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


def report_data(*, area: Area, period: Period, generated_on: date) -> dict:
    """The figures of the monthly report of ``area`` for ``period`` (a month), as a JSON-able snapshot."""
    indicators = [i for i in selectors.indicator_list() if i.code in COLUMNS or i.activity_type_id]
    indicators.sort(key=lambda i: (COLUMNS.index(i.code) if i.code in COLUMNS else 100, i.order))
    children = list(Area.objects.filter(parent=area).order_by("code", "name"))
    row_areas = children or [area]
    ids = [a.pk for a in row_areas] + ([area.pk] if children else [])
    values, _computed = selectors.kpi_values(ids, period)
    targets = selectors.targets_for(ids, period, indicators)
    with_target = [i.code for i in indicators if any(code == i.code for (_a, code) in targets)]

    def row(item: Area) -> dict:
        cells = {}
        for indicator in indicators:
            value = selectors.family_value(indicator.code, values.get(item.pk, {}))
            target = targets.get((item.pk, indicator.code))
            cells[indicator.code] = {
                "value": _num(value),
                "target": _num(target),
                "achievement": _num(selectors.achievement(value, target)),
            }
        return {"area": item.pk, "name": item.name, "cells": cells}

    rows = [row(a) for a in row_areas]
    total = row(area)
    idle = (
        selectors.idle_teams(area=area, start=period.start, end=period.end)
        .with_roster()
        .select_related("area__parent")
        .order_by("area__path", "name")
    )
    idle_rows = [
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
    return {
        "area": area.pk,
        "area_name": area.name,
        "period": period.label,
        "month": period.start.strftime("%m/%Y"),
        "unit": _unit_lines(area),
        "place_date": f"{_place(area)}, ngày {generated_on.day:02d} tháng {generated_on.month:02d} "
        f"năm {generated_on.year}",
        "title": f"BÁO CÁO KẾT QUẢ HOẠT ĐỘNG TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG THÁNG {period.start.strftime('%m/%Y')}",
        "columns": [
            {"code": i.code, "name": i.name_vi, "unit": i.unit, "target": i.code in with_target} for i in indicators
        ],
        "row_label": "Thôn, ấp, khu phố" if area.level == Level.COMMUNE else "Đơn vị",
        "rows": rows,
        "total": total,
        "idle_teams": idle_rows,
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


def report_workbook(data: dict) -> bytes:
    """The .xlsx of a report snapshot: motto header, unit, title, table with totals, idle teams, signatures."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Báo cáo"
    headers = report_headers(data)
    width = 2 + len(headers)
    last = get_column_letter(width)
    half = max(2, width // 2)

    def merged(row: int, first: int, end: int, text: str, font=PLAIN) -> None:
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=end)
        cell = sheet.cell(row=row, column=first, value=text)
        cell.font, cell.alignment = font, CENTER

    merged(1, 1, half, data["unit"][0], PLAIN)
    merged(2, 1, half, data["unit"][1], BOLD)
    merged(1, half + 1, width, MOTTO[0], BOLD)
    merged(2, half + 1, width, MOTTO[1], BOLD)
    merged(3, half + 1, width, data["place_date"], ITALIC)
    merged(5, 1, width, data["title"], Font(name="Times New Roman", bold=True, size=14))
    merged(6, 1, width, f"Đơn vị báo cáo: {data['area_name']}", ITALIC)

    header_row = 8
    titles = ["STT", data["row_label"], *[h[0] for h in headers]]
    for index, title in enumerate(titles, start=1):
        cell = sheet.cell(row=header_row, column=index, value=title)
        cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX
    sheet.row_dimensions[header_row].height = 64

    def write(row: int, number, name: str, cells: dict, font=PLAIN) -> None:
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

    row = header_row + 1
    for number, item in enumerate(data["rows"], start=1):
        write(row, number, item["name"], item["cells"])
        row += 1
    write(row, None, "TỔNG CỘNG", data["total"]["cells"], BOLD)
    row += 2
    sheet.cell(row=row, column=1, value="Ghi chú: ô để trống là chỉ tiêu chưa có số liệu báo cáo.").font = ITALIC
    row += 2
    merged(row, 1, half, "NGƯỜI LẬP BIỂU", BOLD)
    merged(row, half + 1, width, "THỦ TRƯỞNG ĐƠN VỊ", BOLD)
    merged(row + 1, 1, half, "(Ký, ghi rõ họ tên)", ITALIC)
    merged(row + 1, half + 1, width, "(Ký tên, đóng dấu)", ITALIC)

    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 30
    for index in range(3, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_area = f"A1:{last}{row + 1}"

    idle = workbook.create_sheet("Tổ chưa hoạt động")
    idle.cell(row=1, column=1, value=f"CÁC TỔ CNSCĐ KHÔNG CÓ HOẠT ĐỘNG TRONG THÁNG {data['month']}").font = BOLD
    idle_headers = ["STT", "Tổ CNSCĐ", "Thôn, ấp", "Xã, phường", "Tổ trưởng", "Số thành viên", "Lần hỗ trợ gần nhất"]
    for index, title in enumerate(idle_headers, start=1):
        cell = idle.cell(row=3, column=index, value=title)
        cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX
    for number, team in enumerate(data["idle_teams"], start=1):
        names = [neutralise(team[key]) for key in ("team", "area", "parent", "leader")]
        values = [number, *names, team["members"], team["last_visit"] or "Chưa có"]
        for index, value in enumerate(values, start=1):
            cell = idle.cell(row=3 + number, column=index, value=value)
            cell.font, cell.border = PLAIN, BOX
    for letter, size in zip("ABCDEFG", (6, 30, 22, 22, 24, 14, 18), strict=True):
        idle.column_dimensions[letter].width = size

    workbook.properties.creator = "CNSCĐ Portal"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def previous_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


__all__ = ["Indicator", "report_data", "report_workbook", "previous_month"]
