"""Uploaded files are read safely: zip bombs, sheets declaring or holding too many rows or columns, overlong cells
and control characters are refused with a clear Vietnamese message before (or instead of) being parsed, and the dry
run and the import refuse the same rows, so a dry run that says valid always imports."""

import io
import re
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from households.models import Household
from households.resources import HouseholdImport
from imports.models import ImportJob
from members.models import Member
from members.resources import MemberImport

HOUSEHOLD_HEADERS = [c.header for c in HouseholdImport.columns]
MEMBER_HEADERS = [c.header for c in MemberImport.columns]


def workbook_bytes(headers, rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rebuilt(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The same workbook with some parts replaced (streamed into the archive, so a bomb never sits in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename not in replace:
                target.writestr(entry, source.read(entry.filename))
        for name, content in replace.items():
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def shared_strings_bomb(megabytes: int) -> bytes:
    """A workbook whose sharedStrings.xml expands to ``megabytes`` MB of repeated text (a few hundred KB packed)."""
    base = workbook_bytes(HOUSEHOLD_HEADERS, [["27496", "Ấp 1", "H1", "Trần Văn Bình", "", 1, "", "Không", "", "Có"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename != "xl/sharedStrings.xml":
                target.writestr(entry, source.read(entry.filename))
        item = b"<si><t>" + "Nguyễn Văn An ".encode() * 70 + b"</t></si>"  # ~1 KB
        with target.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for _ in range(megabytes):
                part.write(item * 1000)
            part.write(b"</sst>")
    return out.getvalue()


def upload(client, data: bytes, *, kind: str, name: str, dry_run: bool = False):
    handle = io.BytesIO(data)
    handle.name = name
    return client.post("/api/v1/imports/", {"kind": kind, "file": handle, "dry_run": dry_run}, format="multipart")


@pytest.mark.parametrize("kind", ["households", "members"])
def test_a_shared_strings_bomb_is_refused_before_it_is_parsed_with_bounded_memory(
    api, commune_officer_a, hamlet_a1, kind
):
    data = shared_strings_bomb(64)  # 64 MB of text
    assert len(data) < 1024 * 1024
    client = api(commune_officer_a)
    tracemalloc.start()
    try:
        response = upload(client, data, kind=kind, name="bom.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "rejected"
    assert body["errors"] == [
        {
            "row": None,
            "field": "tệp",
            "message": "Tệp Excel khi giải nén vượt quá 200 MB hoặc được nén bất thường; hệ thống không đọc tệp này.",
        }
    ]
    assert peak < 16 * 1024 * 1024, peak  # the 64 MB of text were never expanded
    assert not Household.objects.exists() and not Member.objects.exists()


def test_a_small_part_packed_a_thousand_times_is_refused_by_its_ratio(api, commune_officer_a, hamlet_a1):
    data = shared_strings_bomb(4)  # 4 MB, under every size bound, but packed ~1,000 ×
    body = upload(api(commune_officer_a), data, kind="households", name="bom.xlsx", dry_run=True).json()
    assert body["status"] == "rejected" and "nén bất thường" in body["errors"][0]["message"]


def test_an_archive_of_thousands_of_parts_is_refused(api, commune_officer_a):
    base = workbook_bytes(HOUSEHOLD_HEADERS, [])
    data = rebuilt(base, {f"xl/media/x{i}.bin": b"" for i in range(1500)})
    body = upload(api(commune_officer_a), data, kind="households", name="nhieu.xlsx", dry_run=True).json()
    assert body["status"] == "rejected" and "nén bất thường" in body["errors"][0]["message"]


@pytest.mark.parametrize("kind", ["households", "members"])
def test_a_sheet_declaring_too_many_rows_is_refused_before_it_is_parsed(api, commune_officer_a, kind):
    headers = HOUSEHOLD_HEADERS if kind == "households" else MEMBER_HEADERS
    base = workbook_bytes(headers, [])
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:J1048576"', sheet)
    data = rebuilt(base, {"xl/worksheets/sheet1.xml": sheet})
    body = upload(api(commune_officer_a), data, kind=kind, name="dai.xlsx", dry_run=True).json()
    assert body["status"] == "rejected"
    assert body["errors"][0]["message"] == (
        "Trang tính có hơn 200.000 dòng hoặc 100 cột; hãy chia thành các tệp nhỏ hơn."
    )


@pytest.mark.parametrize("where", ['r="A250000"', 'r="FZ2"'])
def test_a_sheet_holding_a_cell_beyond_the_bounds_without_declaring_it_is_refused(api, commune_officer_a, where):
    base = workbook_bytes(HOUSEHOLD_HEADERS, [])
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb"<dimension [^>]*/>", b"", sheet)
    row = where.split('"')[1]
    number = re.sub(r"[A-Z]", "", row)
    cell = f'<row r="{number}"><c {where} t="inlineStr"><is><t>x</t></is></c></row>'.encode()
    sheet = sheet.replace(b"</sheetData>", cell + b"</sheetData>")
    data = rebuilt(base, {"xl/worksheets/sheet1.xml": sheet})
    body = upload(api(commune_officer_a), data, kind="households", name="rong.xlsx", dry_run=True).json()
    assert body["status"] == "rejected" and "200.000 dòng hoặc 100 cột" in body["errors"][0]["message"], body


def member_csv(name: str, commune) -> bytes:
    header = ",".join(MEMBER_HEADERS)
    row = f"{commune.code},Ấp A1,,{name},Nữ,1990,0912345678,,Công an,Thành viên,01/03/2024,,"
    return f"{header}\n{row}\n".encode()


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_nul_inside_a_csv_name_is_a_row_error_in_the_dry_run_and_the_import_alike(
    api, commune_officer_a, commune_a, hamlet_a1, dry_run
):
    data = member_csv("Lê Thị\x00Hoa", commune_a)
    response = upload(api(commune_officer_a), data, kind="members", name="ds.csv", dry_run=dry_run)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "rejected"
    assert body["errors"] == [
        {
            "row": 2,
            "field": "Họ và tên",
            "message": "Ô có ký tự điều khiển vô hình (như NUL); hãy gõ lại nội dung ô.",
        }
    ]
    assert not Member.objects.exists()


def test_the_same_csv_without_the_nul_imports(api, commune_officer_a, commune_a, hamlet_a1):
    body = upload(api(commune_officer_a), member_csv("Lê Thị Hoa", commune_a), kind="members", name="ds.csv").json()
    assert body["status"] == "imported", body
    assert Member.objects.get().full_name == "Lê Thị Hoa"


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_name_longer_than_its_field_is_a_row_error_and_nothing_is_saved(
    api, commune_officer_a, commune_a, hamlet_a1, dry_run
):
    body = upload(
        api(commune_officer_a), member_csv("A" * 151, commune_a), kind="members", name="ds.csv", dry_run=dry_run
    ).json()
    assert body["status"] == "rejected"
    assert body["errors"] == [{"row": 2, "field": "Họ và tên", "message": "Tối đa 150 ký tự."}]
    assert not Member.objects.exists()


def test_a_csv_cell_over_the_csv_modules_own_limit_is_refused_with_its_row(
    api, commune_officer_a, commune_a, hamlet_a1
):
    header = ",".join(HOUSEHOLD_HEADERS)
    good = f"{commune_a.code},Ấp A1,H1,Trần Văn Bình,,1,,Không,,Có"
    huge = f"{commune_a.code},Ấp A1,H2,Trần Văn Bình,{'x' * 200_000},1,,Không,,Có"
    data = f"{header}\n{good}\n{huge}\n".encode()
    body = upload(api(commune_officer_a), data, kind="households", name="ho.csv", dry_run=True).json()
    assert body["status"] == "rejected"
    assert body["errors"] == [
        {
            "row": 3,
            "field": "tệp",
            "message": "Không đọc được dòng 3: có ô dài hơn 2000 ký tự hoặc dấu ngoặc kép không khớp.",
        }
    ]
    assert not Household.objects.exists()


def test_a_household_cell_over_the_cell_bound_is_a_row_error(api, commune_officer_a, commune_a, hamlet_a1):
    header = ",".join(HOUSEHOLD_HEADERS)
    row = f"{commune_a.code},Ấp A1,H1,Trần Văn Bình,{'x' * 5000},1,,Không,,Có"
    body = upload(api(commune_officer_a), f"{header}\n{row}\n".encode(), kind="households", name="ho.csv").json()
    assert body["status"] == "rejected"
    assert body["errors"] == [{"row": 2, "field": "Địa chỉ", "message": "Tối đa 2000 ký tự."}]
    assert not Household.objects.exists()


def test_a_control_character_in_an_xlsx_cell_is_refused_in_the_dry_run_and_the_import(
    api, commune_officer_a, commune_a, hamlet_a1
):
    base = workbook_bytes(HOUSEHOLD_HEADERS, [])
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    values = [commune_a.code, "Ấp A1", "H1", "Trần\x9bVăn Bình", "", "1", "", "Không", "", "Có"]
    cells = "".join(
        f'<c r="{chr(65 + i)}2" t="inlineStr"><is><t>{value}</t></is></c>' for i, value in enumerate(values)
    )
    sheet = sheet.replace(b"</sheetData>", f'<row r="2">{cells}</row></sheetData>'.encode())
    sheet = re.sub(rb"<dimension [^>]*/>", b"", sheet)
    data = rebuilt(base, {"xl/worksheets/sheet1.xml": sheet})
    client = api(commune_officer_a)
    for dry_run in (True, False):
        body = upload(client, data, kind="households", name="ho.xlsx", dry_run=dry_run).json()
        assert body["status"] == "rejected", body
        assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "Họ tên chủ hộ")]
    assert not Household.objects.exists()
    assert ImportJob.objects.filter(status="rejected").count() == 2


def test_no_url_serves_the_uploaded_files_even_in_debug(settings):
    """``make run`` runs with DEBUG: Django's ``static()`` helper would then serve MEDIA_ROOT (import files, citizens'
    data) to anyone who guesses a name."""
    import importlib

    from django.urls import Resolver404, resolve

    import cnscd.urls

    settings.DEBUG = True
    try:
        importlib.reload(cnscd.urls)
        with pytest.raises(Resolver404):
            resolve(f"{settings.MEDIA_URL}imports/2026/12/ho-gia-dinh.xlsx", urlconf=cnscd.urls)
    finally:
        settings.DEBUG = False
        importlib.reload(cnscd.urls)
