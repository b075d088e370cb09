"""Excel imports and exports: a real-looking roster, all-or-nothing, no duplicates, bad files, scope, Celery."""

import io

import pytest
from django.db import connection
from openpyxl import Workbook, load_workbook

from areas.models import Area, Level
from areas.services import hamlet_create
from imports.models import ImportJob
from members.models import Member
from members.resources import MemberImport
from teams.models import Team

HEADERS = [c.header for c in MemberImport.columns]
ORGS = ["Đoàn Thanh niên", "Hội Liên hiệp Phụ nữ", "Hội Nông dân", "Công an", "Doanh nghiệp (VNPT, Viettel, Bưu điện…)"]


def xlsx(rows, headers=HEADERS) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "danh-sach.xlsx"
    return out


def roster(commune, n=200, per_team=5):
    """``n`` members in ``n / per_team`` hamlets, the first of each hamlet its leader."""
    rows = []
    for i in range(n):
        hamlet = i // per_team + 1
        rows.append(
            [
                commune.code,
                f"Ấp {hamlet}",
                "",
                f"Nguyễn Văn {i:03d}",
                "Nữ" if i % 2 else "Nam",
                1970 + i % 30,
                f"091{i:07d}",
                "",
                ORGS[i % len(ORGS)],
                "Tổ trưởng" if i % per_team == 0 else ("Tổ phó" if i % per_team == 1 else "Thành viên"),
                "01/03/2024",
                "",
                "15/05/2024" if i % 3 else "",
            ]
        )
    return rows


@pytest.fixture
def forty_hamlets(commune_a):
    """Ấp 1 … Ấp 40 in commune A, enough for the rosters the imported files spread over them."""
    return [hamlet_create(parent=commune_a, name=f"Ấp {i}", kind="Ấp") for i in range(1, 41)]


def post(client, rows, dry_run=False, kind="members", **kw):
    return client.post(
        "/api/v1/imports/", {"kind": kind, "file": xlsx(rows, **kw), "dry_run": dry_run}, format="multipart"
    )


def test_a_roster_with_five_broken_rows_saves_nothing_and_the_fixed_file_saves_200(
    api, commune_officer_a, commune_a, forty_hamlets
):
    rows = roster(commune_a)
    broken = [r[:] for r in rows]
    broken[10][6] = "0123 456"  # bad phone (row 12)
    broken[41][8] = "Hội Người cao tuổi"  # unknown organisation (row 43)
    broken[57][9] = "Tổ trưởng"  # second leader of Ấp 12 (row 59)
    broken[120][1] = "Ấp Không Có"  # unknown hamlet (row 122)
    broken[199][10] = "31/02/2024"  # bad date (row 201)
    client = api(commune_officer_a)

    response = post(client, broken)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "rejected" and body["rows"] == 200
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (12, "Số điện thoại"),
        (43, "Tổ chức"),
        (59, "Vai trò"),
        (122, "Thôn/Ấp"),
        (201, "Ngày tham gia"),
    ]
    assert "Hội Người cao tuổi" in body["errors"][1]["message"] and "dòng 57" in body["errors"][2]["message"]
    assert Member.objects.count() == 0 and Team.objects.count() == 0

    dry = post(client, rows, dry_run=True).json()
    assert dry["status"] == "valid" and dry["errors"] == [] and Member.objects.count() == 0

    done = post(client, rows).json()
    assert done["status"] == "imported" and done["created"] == 200, done
    assert Member.objects.count() == 200 and Team.objects.count() == 40
    assert Member.objects.filter(role="leader").count() == 40
    assert client.get(f"/api/v1/imports/{done['id']}/").json()["status"] == "imported"

    again = post(client, rows).json()
    assert again["status"] == "imported" and again["created"] == 0 and again["unchanged"] == 200
    assert Member.objects.count() == 200 and Team.objects.count() == 40


def test_a_row_naming_a_hamlet_of_another_commune_is_an_unknown_hamlet(api, commune_officer_a, commune_b, hamlet_b1):
    rows = [[commune_b.code, hamlet_b1.name, "", "Lê B", "Nam", 1990, "0912345678", "", "Công an", "Thành viên"]]
    body = post(api(commune_officer_a), rows).json()
    assert body["status"] == "rejected" and body["errors"][0]["field"] == "Mã xã"
    assert Member.objects.count() == 0


def test_the_export_uses_the_template_layout_and_neutralises_formulas(
    client, api, commune_officer_a, commune_a, forty_hamlets
):
    rows = roster(commune_a, n=10)
    assert post(api(commune_officer_a), rows).json()["status"] == "imported"
    Member.objects.filter(full_name="Nguyễn Văn 003").update(full_name='=HYPERLINK("http://evil","x")')
    Member.objects.filter(full_name="Nguyễn Văn 004").update(full_name="@SUM(1+1)")
    client.force_login(commune_officer_a)
    response = client.get("/teams/export.xlsx", {"area": commune_a.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert [v.rstrip(" *") for v in values[0]] == HEADERS and len(values) == 11
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    names = [row[3] for row in values[1:]]
    assert '\'=HYPERLINK("http://evil","x")' in names and "'@SUM(1+1)" in names


def test_the_export_of_officer_b_holds_none_of_commune_a(
    client, api, commune_officer_a, commune_officer_b, commune_a, forty_hamlets
):
    post(api(commune_officer_a), roster(commune_a, n=5))
    client.force_login(commune_officer_b)
    values = list(load_workbook(io.BytesIO(client.get("/teams/export.xlsx").content)).worksheets[0].values)
    assert len(values) == 1
    assert client.get("/teams/export.xlsx", {"area": commune_a.pk}).status_code == 404


def test_roster_exports_are_for_officers_and_leaders_and_are_logged(
    client, api, commune_officer_a, team_member_a1, viewer, superuser, commune_a, forty_hamlets
):
    from households.models import ExportLog

    post(api(commune_officer_a), roster(commune_a, n=4))
    for user in (team_member_a1, viewer):
        client.force_login(user)
        assert client.get("/teams/export.xlsx").status_code == 403
    assert not ExportLog.objects.exists()
    client.force_login(commune_officer_a)
    assert client.get("/teams/export.xlsx", {"active": "1"}).status_code == 200
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.rows, log.area, log.params) == (
        commune_officer_a,
        "roster_xlsx",
        4,
        commune_a,
        {"active": ["1"]},
    )
    client.force_login(superuser)  # the administration is superusers only (cnscd/admin.py)
    page = client.get("/admin/households/exportlog/")
    assert page.status_code == 200 and "roster_xlsx" in page.content.decode()
    assert client.post(f"/admin/households/exportlog/{log.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ExportLog.objects.filter(pk=log.pk).exists()


def test_formulas_in_an_uploaded_file_are_row_errors(api, commune_officer_a, commune_a, forty_hamlets):
    rows = roster(commune_a, n=3)
    rows[1][3] = '=HYPERLINK("http://evil","bấm vào")'
    body = post(api(commune_officer_a), rows).json()
    assert body["status"] == "rejected"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "Họ và tên")]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("sai.csv", "Mã xã,Ho ten\nLe Thi Hoa\n".encode("cp1252"), "UTF-8"),
        ("sai.csv", "Mã xã,Họ và tên\n1,Lê Thị Hoa\n".encode(), "không có các cột"),
        ("sai.xlsx", b"PK\x03\x04 not really a zip", "Excel"),
        ("sai.pdf", b"%PDF-1.4", "Excel (.xlsx) hoặc CSV"),
    ],
)
def test_bad_files_get_a_clear_error(api, commune_officer_a, name, content, expected):
    upload = io.BytesIO(content)
    upload.name = name
    response = api(commune_officer_a).post(
        "/api/v1/imports/", {"kind": "members", "file": upload, "dry_run": True}, format="multipart"
    )
    body = response.json()
    if response.status_code == 400:
        assert expected in body["file"][0]
    else:
        assert body["status"] == "rejected" and body["errors"][0]["row"] is None
        assert expected in body["errors"][0]["message"], body


def test_wrong_headers_are_refused(api, commune_officer_a):
    body = post(api(commune_officer_a), [["1", "2"]], headers=["Tên", "SĐT"]).json()
    assert body["status"] == "rejected" and "Mã xã" in body["errors"][0]["message"]


def test_a_utf8_csv_with_semicolons_is_read(api, commune_officer_a, commune_a, forty_hamlets):
    text = (
        ";".join(HEADERS)
        + "\n"
        + f"{commune_a.code};Ấp 1;;Lê Thị Hoa;Nữ;1990;+84 912 345 678;;Công an;Tổ trưởng;1/3/2024;;\n"
    )
    upload = io.BytesIO(text.encode("utf-8-sig"))
    upload.name = "ds.csv"
    body = (
        api(commune_officer_a).post("/api/v1/imports/", {"kind": "members", "file": upload}, format="multipart").json()
    )
    assert body["status"] == "imported", body
    assert Member.objects.get().phone == "0912345678"


def test_hamlets_import_and_reimport_create_no_duplicates(api, commune_officer_a, commune_a, commune_b):
    rows = [[commune_a.code, "Ấp Mới 1", "Ấp", ""], [commune_a.code, "Ấp Mới 2", "Thôn", "T2"]]
    client = api(commune_officer_a)
    body = post(client, rows, kind="hamlets", headers=["Mã xã", "Tên thôn/ấp", "Loại", "Mã thôn/ấp"]).json()
    assert body["status"] == "imported" and body["created"] == 2, body
    again = post(client, rows, kind="hamlets", headers=["Mã xã", "Tên thôn/ấp", "Loại", "Mã thôn/ấp"]).json()
    assert again["created"] == 0 and again["unchanged"] == 2
    outside = post(
        client,
        [[commune_b.code, "Ấp X", "Ấp", ""]],
        kind="hamlets",
        headers=["Mã xã", "Tên thôn/ấp", "Loại", "Mã thôn/ấp"],
    ).json()
    assert outside["status"] == "rejected"
    assert Area.objects.filter(level=Level.HAMLET, parent=commune_b).count() == 0


def test_import_jobs_of_others_are_404(api, commune_officer_a, commune_officer_b, commune_a, forty_hamlets):
    job_id = post(api(commune_officer_a), roster(commune_a, n=2), dry_run=True).json()["id"]
    assert api(commune_officer_b).get(f"/api/v1/imports/{job_id}/").status_code == 404
    assert ImportJob.pgh_event_model.objects.filter(pgh_obj_id=job_id).exists()


def test_the_template_has_vietnamese_headers_and_instructions(client, commune_officer_a):
    client.force_login(commune_officer_a)
    workbook = load_workbook(io.BytesIO(client.get("/imports/template/members.xlsx").content))
    assert [c.value.rstrip(" *") for c in workbook.worksheets[0][1]] == HEADERS
    assert workbook.sheetnames[1] == "Hướng dẫn"


def test_the_import_page_shows_every_row_error(client, commune_officer_a, commune_a, forty_hamlets):
    rows = roster(commune_a, n=5)
    rows[2][6] = "123"
    client.force_login(commune_officer_a)
    response = client.post("/imports/", {"kind": "members", "file": xlsx(rows), "dry_run": "on"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Số điện thoại" in page and "di động" in page and "không lưu gì" in page.lower() or "chưa lưu gì" in page


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_processed_by_a_celery_worker_with_progress(
    api, commune_officer_a, commune_a, settings, tmp_path, monkeypatch
):
    from celery.contrib.testing.worker import start_worker

    from cnscd.celery import app
    from imports import services

    for i in range(1, 41):
        hamlet_create(parent=commune_a, name=f"Ấp {i}", kind="Ấp")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.MEDIA_ROOT = str(tmp_path)
    app.conf.task_always_eager = False
    monkeypatch.setattr(services, "SYNC_MAX_ROWS", 10)
    with start_worker(app, perform_ping_check=False):
        body = post(api(commune_officer_a), roster(commune_a)).json()
        assert body["status"] == "pending"
        import time

        for _ in range(120):
            job = ImportJob.objects.get(pk=body["id"])
            if job.is_finished:
                break
            time.sleep(0.25)
    app.conf.task_always_eager = True
    # the worker thread's database connection outlives it: end it, so the test database can be dropped
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert job.status == "imported", job.errors
    assert Member.objects.count() == 200
