"""Household import (kind ``households``) and export: all-or-nothing, no duplicates, consent, scope, formulas."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from accounts.models import User
from households.models import ExportLog, Household
from households.resources import HouseholdImport
from households.services import household_update
from imports.models import ImportJob

HEADERS = [c.header for c in HouseholdImport.columns]
CATEGORIES = ["Hộ nghèo", "Hộ cận nghèo; Dân tộc thiểu số", "", "policy, elderly_alone", "Gia đình chính sách"]


def xlsx(rows, headers=HEADERS, name="ho-gia-dinh.xlsx") -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = name
    return out


def households(commune, hamlets, n=30):
    """``n`` households spread over ``hamlets``; every other one with a phone and consent."""
    rows = []
    for i in range(n):
        hamlet = hamlets[i % len(hamlets)]
        consent = i % 2 == 0
        rows.append(
            [
                commune.code,
                hamlet.name,
                f"HGD-{i:03d}",
                f"Trần Văn {i:03d}",
                f"Số {i}, đường Lê Lợi",
                1 + i % 6,
                f"091{i:07d}" if consent else "",
                "Có" if consent else "Không",
                CATEGORIES[i % len(CATEGORIES)],
                "Có" if i % 3 else "Không",
            ]
        )
    return rows


def post(client, rows, dry_run=False, **kw):
    return client.post(
        "/api/v1/imports/", {"kind": "households", "file": xlsx(rows, **kw), "dry_run": dry_run}, format="multipart"
    )


@pytest.fixture
def hamlets(hamlet_a1, hamlet_a2):
    return [hamlet_a1, hamlet_a2]


def test_a_valid_file_imports_every_household_with_its_categories_and_phone(api, commune_officer_a, commune_a, hamlets):
    body = post(api(commune_officer_a), households(commune_a, hamlets)).json()
    assert body["status"] == "imported" and body["created"] == 30, body
    assert Household.objects.count() == 30
    first = Household.objects.get(area=hamlets[0], code="HGD-000")
    assert first.phone == "0910000000" and first.consent_given and first.consent_recorded_at is not None
    assert first.categories == ["poor"] and first.size == 1 and not first.has_smartphone
    second = Household.objects.get(code="HGD-001")
    assert second.area == hamlets[1] and second.phone == "" and not second.consent_given
    assert sorted(second.categories) == ["ethnic_minority", "near_poor"] and second.has_smartphone
    assert sorted(Household.objects.get(code="HGD-003").categories) == ["elderly_alone", "policy"]


def test_importing_the_same_file_again_creates_no_duplicates_and_reports_what_changed(
    api, commune_officer_a, commune_a, hamlets
):
    client = api(commune_officer_a)
    rows = households(commune_a, hamlets)
    assert post(client, rows).json()["created"] == 30
    again = post(client, rows).json()
    assert again["status"] == "imported"
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 30)
    rows[4][3] = "Trần Văn Bốn"
    rows[5][5] = 9
    rows.append([commune_a.code, hamlets[0].name, "HGD-NEW", "Lê Thị Mới", "", "", "", "", "", ""])
    third = post(client, rows).json()
    assert (third["created"], third["updated"], third["unchanged"]) == (1, 2, 28), third
    assert Household.objects.count() == 31
    assert Household.objects.get(code="HGD-004").head_name == "Trần Văn Bốn"


def test_one_bad_row_saves_nothing_and_every_error_is_given_in_vietnamese(api, commune_officer_a, commune_a, hamlets):
    rows = households(commune_a, hamlets)
    rows[3][5] = 0  # row 5: size
    rows[7][8] = "Hộ giàu"  # row 9: unknown category
    rows[9][2] = "HGD-001"  # row 11: same hamlet (index 1 and 9 are both in hamlet 2) and code as row 3
    rows[12][6] = "0123 456"  # row 14: not a mobile number
    rows[15][9] = "Có thể"  # row 17: neither yes nor no
    body = post(api(commune_officer_a), rows).json()
    assert body["status"] == "rejected"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (5, "Số nhân khẩu"),
        (9, "Phân loại hộ"),
        (11, "Mã hộ"),
        (14, "Số điện thoại"),
        (17, "Có điện thoại thông minh"),
    ]
    messages = [e["message"] for e in body["errors"]]
    assert "nhân khẩu" in messages[0] and "Hộ giàu" in messages[1] and "dòng 3" in messages[2]
    assert "di động" in messages[3]
    assert Household.objects.count() == 0


def test_a_phone_without_consent_is_refused(api, commune_officer_a, commune_a, hamlets):
    rows = households(commune_a, hamlets, n=2)
    rows[1][6] = "0987654321"  # row 3 has "Không" in the consent column
    body = post(api(commune_officer_a), rows).json()
    assert body["status"] == "rejected"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "Số điện thoại")]
    assert "đồng ý" in body["errors"][0]["message"]
    assert Household.objects.count() == 0


def test_a_hamlet_of_another_commune_is_not_found(api, commune_officer_a, commune_b, hamlet_b1, hamlets):
    rows = [[commune_b.code, hamlet_b1.name, "HGD-1", "Lê B", "", 2, "", "Không", "", "Không"]]
    body = post(api(commune_officer_a), rows).json()
    assert body["status"] == "rejected"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "Tên thôn/ấp")]
    assert "ngoài địa bàn" in body["errors"][0]["message"] or "Không tìm thấy" in body["errors"][0]["message"]
    assert Household.objects.count() == 0


def test_a_team_leader_imports_the_households_of_their_hamlet_only(
    api, team_leader_a1, commune_a, hamlet_a1, hamlet_a2
):
    client = api(team_leader_a1)
    own = [[commune_a.code, hamlet_a1.name, "HGD-1", "Lê A", "", 2, "", "Không", "", "Có"]]
    assert post(client, own).json()["status"] == "imported"
    other = [[commune_a.code, hamlet_a2.name, "HGD-2", "Lê B", "", 2, "", "Không", "", "Có"]]
    assert post(client, other).json()["status"] == "rejected"
    assert list(Household.objects.values_list("code", flat=True)) == ["HGD-1"]


def test_a_team_member_may_not_upload_a_household_file_which_is_neither_stored_nor_parsed(
    api, team_member_a1, commune_a, hamlet_a1
):
    rows = [[commune_a.code, hamlet_a1.name, "HGD-1", "Lê A", "", 2, "", "Không", "", "Có"]]
    response = post(api(team_member_a1), rows)
    assert response.status_code == 403 and "không cho phép" in response.json()["detail"]
    assert Household.objects.count() == 0 and not ImportJob.objects.exists()


def test_formulas_in_an_uploaded_file_are_row_errors(api, commune_officer_a, commune_a, hamlets):
    rows = households(commune_a, hamlets, n=3)
    rows[1][3] = '=HYPERLINK("http://evil","bấm vào")'
    body = post(api(commune_officer_a), rows).json()
    assert body["status"] == "rejected"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "Họ tên chủ hộ")]
    assert "công thức" in body["errors"][0]["message"].lower()
    assert Household.objects.count() == 0


def test_a_dry_run_checks_the_file_and_saves_nothing(api, commune_officer_a, commune_a, hamlets):
    body = post(api(commune_officer_a), households(commune_a, hamlets), dry_run=True).json()
    assert body["status"] == "valid" and body["errors"] == [] and body["rows"] == 30
    assert Household.objects.count() == 0


def test_the_digital_status_columns_are_never_imported(api, commune_officer_a, commune_a, hamlets):
    rows = [r + ["Có", "Có", "Có"] for r in households(commune_a, hamlets, n=2)]
    headers = [*HEADERS, "has_dvctt_account", "has_cashless", "has_vneid"]
    assert post(api(commune_officer_a), rows, headers=headers).json()["status"] == "imported"
    assert not Household.objects.filter(has_dvctt_account=True).exists()
    assert not Household.objects.filter(has_cashless=True).exists()
    assert not Household.objects.filter(has_vneid=True).exists()


def test_imported_households_have_history_events_naming_the_importer(api, commune_officer_a, commune_a, hamlets):
    client = api(commune_officer_a)
    rows = households(commune_a, hamlets, n=2)
    post(client, rows)
    household = Household.objects.get(code="HGD-000")
    events = Household.pgh_event_model.objects.filter(pgh_obj_id=household.pk).order_by("pgh_id")
    assert [e.pgh_label for e in events] == ["insert"]
    assert events[0].pgh_context.metadata["user"] == commune_officer_a.pk
    assert (events[0].head_name, events[0].phone, events[0].area_id) == ("Trần Văn 000", "0910000000", hamlets[0].pk)

    rows[0][3] = "Trần Văn Mới"
    post(client, rows)  # HGD-000 changed, HGD-001 unchanged: one update event, none for the other
    assert [e.pgh_label for e in events.all()] == ["insert", "update"]
    assert events.last().head_name == "Trần Văn Mới"
    other = Household.objects.get(code="HGD-001")
    assert Household.pgh_event_model.objects.filter(pgh_obj_id=other.pk).count() == 1

    # the history triggers still work for ordinary saves after an import
    household_update(acting_user=commune_officer_a, household=household, size=5)
    assert [e.pgh_label for e in events.all()] == ["insert", "update", "update"]


def test_the_file_is_written_with_a_handful_of_queries_whatever_its_size(commune_officer_a, commune_a, hamlets):
    def queries(n: int) -> int:
        handler = HouseholdImport(acting_user=User.objects.get(pk=commune_officer_a.pk))
        rows = handler.read(xlsx(households(commune_a, hamlets, n=n)), "x.xlsx")
        with CaptureQueriesContext(connection) as captured:
            assert handler.check(rows, lambda done: None) == []
            handler.save()
        return len(captured)

    assert queries(5) == queries(400) <= 8


def test_the_export_uses_the_template_layout_neutralises_formulas_and_can_be_imported_again(
    api, commune_officer_a, commune_a, hamlets
):
    client = api(commune_officer_a)
    post(client, households(commune_a, hamlets, n=10))
    Household.objects.filter(code="HGD-003").update(head_name='=HYPERLINK("http://evil","x")')
    response = client.get("/api/v1/households/export-xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert [v.rstrip(" *") for v in values[0]] == HEADERS and len(values) == 11
    assert all(c.data_type != "f" for row in sheet.iter_rows(min_row=2) for c in row)
    assert '\'=HYPERLINK("http://evil","x")' in [row[3] for row in values[1:]]
    assert ("0910000000", "Có") in [(row[6], row[7]) for row in values[1:]]  # the commune sees full phones

    upload = io.BytesIO(response.content)
    upload.name = "xuat.xlsx"
    body = client.post("/api/v1/imports/", {"kind": "households", "file": upload}, format="multipart").json()
    # the neutralised formula reads back as the formula it was, and is refused like any formula
    formula_row = next(number for number, row in enumerate(values, start=1) if row[2] == "HGD-003")
    assert body["status"] == "rejected"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(formula_row, "Họ tên chủ hộ")]


def test_the_export_masks_phones_for_the_province_and_is_logged(
    api, province_admin, commune_officer_a, commune_a, hamlets
):
    post(api(commune_officer_a), households(commune_a, hamlets, n=4))
    client = api(province_admin)
    response = client.get("/api/v1/households/export-xlsx/", {"area": commune_a.pk})
    assert response.status_code == 200
    values = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    phones = [row[6] for row in values[1:] if row[6]]
    assert phones == ["09******00", "09******02"]
    log = ExportLog.objects.get()
    assert log.user == province_admin and log.kind == "households_xlsx" and log.rows == 4

    # the masked file imported again by the province keeps the stored numbers
    upload = io.BytesIO(response.content)
    upload.name = "xuat.xlsx"
    body = client.post("/api/v1/imports/", {"kind": "households", "file": upload}, format="multipart").json()
    assert body["status"] == "imported" and body["unchanged"] == 4, body
    assert Household.objects.get(code="HGD-000").phone == "0910000000"


def test_a_masked_phone_that_is_not_the_stored_one_is_refused(api, province_admin, commune_a, hamlets):
    rows = households(commune_a, hamlets, n=1)
    rows[0][6] = "09******99"
    body = post(api(province_admin), rows).json()
    assert body["status"] == "rejected" and body["errors"][0]["field"] == "Số điện thoại"


def test_the_export_of_officer_b_holds_none_of_commune_a(api, commune_officer_a, commune_officer_b, commune_a, hamlets):
    post(api(commune_officer_a), households(commune_a, hamlets, n=3))
    response = api(commune_officer_b).get("/api/v1/households/export-xlsx/")
    assert len(list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)) == 1


def test_a_viewer_may_not_export(api, viewer):
    assert api(viewer).get("/api/v1/households/export-xlsx/").status_code == 403


def test_the_template_has_vietnamese_headers(client, commune_officer_a):
    client.force_login(commune_officer_a)
    workbook = load_workbook(io.BytesIO(client.get("/imports/template/households.xlsx").content))
    assert [c.value.rstrip(" *") for c in workbook.worksheets[0][1]] == HEADERS
    assert "Hộ nghèo" in " ".join(str(c.value) for row in workbook.worksheets[1].iter_rows() for c in row)


def test_more_rows_than_the_household_limit_are_refused(monkeypatch, api, commune_officer_a, commune_a, hamlets):
    monkeypatch.setattr(HouseholdImport, "max_rows", 5)
    body = post(api(commune_officer_a), households(commune_a, hamlets, n=6)).json()
    assert body["status"] == "rejected" and "5" in body["errors"][0]["message"]
    assert ImportJob.objects.get().status == "rejected"


def test_a_large_file_goes_to_the_background_and_reports_its_progress(
    api, commune_officer_a, commune_a, hamlets, monkeypatch, django_capture_on_commit_callbacks
):
    from imports import services

    monkeypatch.setattr(services, "SYNC_MAX_ROWS", 10)
    with django_capture_on_commit_callbacks(execute=True):
        body = post(api(commune_officer_a), households(commune_a, hamlets)).json()
    assert body["status"] == "pending"  # answered before the (here eager) Celery task ran
    job = api(commune_officer_a).get(f"/api/v1/imports/{body['id']}/").json()
    assert job["status"] == "imported" and job["processed"] == job["rows"] == 30 and job["created"] == 30


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"PK\x03\x04 not really a zip", "Excel"), (b"%PDF-1.4", "Excel")],
)
def test_a_file_that_is_not_an_xlsx_gets_a_clear_error(api, commune_officer_a, content, expected):
    upload = io.BytesIO(content)
    upload.name = "ho.xlsx"
    body = (
        api(commune_officer_a)
        .post("/api/v1/imports/", {"kind": "households", "file": upload, "dry_run": True}, format="multipart")
        .json()
    )
    assert body["status"] == "rejected" and body["errors"][0]["row"] is None
    assert expected in body["errors"][0]["message"]


def test_the_fast_reader_reads_what_openpyxl_reads(commune_a, hamlets):
    rows = households(commune_a, hamlets, n=20)
    rows[3][3] = '=HYPERLINK("http://evil","x")'
    rows[4][5] = 2.0
    data = xlsx(rows).getvalue()
    fast = HouseholdImport(acting_user=None).read(io.BytesIO(data), "a.xlsx")
    slow_handler = HouseholdImport(acting_user=None)
    slow_handler.fast_xlsx = False
    assert fast == slow_handler.read(io.BytesIO(data), "a.xlsx")


def test_the_import_page_links_the_household_export_for_exporters_only(client, commune_officer_a, team_member_a1):
    client.force_login(commune_officer_a)
    page = client.get("/imports/").content.decode()
    assert "/api/v1/households/export-xlsx/" in page and "Hộ gia đình" in page
    client.force_login(team_member_a1)
    assert "/api/v1/households/export-xlsx/" not in client.get("/imports/").content.decode()
