"""Monthly reports: the workbook's cells (opened with openpyxl), the workflow's permissions, frozen approvals."""

import io
import uuid
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from households.models import Household
from members.models import Member
from reports.models import Report
from teams.models import Team

REPORTS = "/api/v1/reports/"


def _last_month() -> str:
    return (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, django_capture_on_commit_callbacks):
    """Reports are stored in a temporary folder; generation (queued on commit) runs at once, as a worker would."""
    global _capture
    settings.MEDIA_ROOT = str(tmp_path)
    _capture = django_capture_on_commit_callbacks


_capture = None


@pytest.fixture
def commune_with_visits(api, commune_a, hamlet_a1, hamlet_a2, team_member_a1):
    """Teams on A1 (active last month) and A2 (idle), and three visits of A1 last month."""
    team = Team.objects.create(area=hamlet_a1, name="Tổ CNSCĐ Ấp A1", established_on=date(2024, 1, 15))
    Team.objects.create(area=hamlet_a2, name="Tổ CNSCĐ Ấp A2", established_on=date(2024, 1, 15))
    Member.objects.create(team=team, user=team_member_a1, full_name="Lê Văn Tổ", gender="male",
                          organization="youth_union", role="leader", trained_on=date(2024, 5, 1))  # fmt: skip
    households = [Household.objects.create(area=hamlet_a1, code=f"H{i}", head_name=f"Hộ {i}") for i in range(2)]
    first_day = date.fromisoformat(_last_month() + "-01")
    items = [
        {"client_uuid": str(uuid.uuid4()), "household": households[i % 2].pk,
         "date": (first_day + timedelta(days=i)).isoformat(), "channel": "door_to_door",
         "activities": [{"type": "dvctt_account", "quantity": 1000 + i}, {"type": "vneid_activation", "quantity": 2}]}
        for i in range(3)
    ]  # fmt: skip
    body = api(team_member_a1).post("/api/v1/visits/bulk/", {"visits": items}).json()
    assert {r["status"] for r in body["results"]} == {"created"}
    return commune_a


def _request(client, area, period=None):
    with _capture(execute=True):
        return client.post(REPORTS, {"area": area.pk, "period": period or _last_month()})


def _visit(client, household, day) -> None:
    item = {"client_uuid": str(uuid.uuid4()), "household": household.pk, "date": day.isoformat(),
            "channel": "door_to_door", "activities": [{"type": "dvctt_account", "quantity": 7}]}  # fmt: skip
    assert client.post("/api/v1/visits/", item).status_code == 201


def _download(client, report_id) -> bytes:
    response = client.get(f"{REPORTS}{report_id}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_commune_report_has_the_official_layout_and_the_figures(api, commune_officer_a, commune_with_visits):
    client = api(commune_officer_a)
    response = _request(client, commune_with_visits)
    assert response.status_code == 202, response.json()
    report = client.get(f"{REPORTS}{response.json()['id']}/").json()
    assert report["status"] == "draft" and report["file"].endswith("/download/")
    book = load_workbook(io.BytesIO(_download(client, report["id"])))
    sheet = book["Báo cáo"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    month = date.fromisoformat(_last_month() + "-01").strftime("%m/%Y")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and "Độc lập - Tự do - Hạnh phúc" in cells
    assert f"BÁO CÁO KẾT QUẢ HOẠT ĐỘNG TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG THÁNG {month}" in cells
    assert any(c.startswith("UBND ") for c in cells)
    assert any(", ngày " in c and " tháng " in c and " năm " in c for c in cells)
    assert "NGƯỜI LẬP BIỂU" in cells and "THỦ TRƯỞNG ĐƠN VỊ" in cells
    header = [c.value for c in sheet[8]]
    assert header[0] == "STT" and any("Số Tổ CNSCĐ" in str(h) for h in header)
    rows = {r[1]: r for r in sheet.iter_rows(min_row=9, values_only=True) if r[1]}
    col = {str(h).split(" (")[0]: i for i, h in enumerate(header)}
    dvctt = next(i for h, i in col.items() if "Dịch vụ công" in h)
    a1, a2, total = rows["Ấp A1"], rows["Ấp A2"], rows["TỔNG CỘNG"]
    assert a1[dvctt] == 1000 + 1001 + 1002 and total[dvctt] == 3003
    assert a1[col["Số lượt hỗ trợ"]] == 3 and a1[col["Số hộ gia đình được hướng dẫn"]] == 2
    assert a2[col["Số Tổ CNSCĐ đang hoạt động"]] == 1
    assert a2[dvctt] is None and a2[col["Số lượt hỗ trợ"]] is None  # nobody reported: empty, never 0
    assert total[col["Số Tổ CNSCĐ đang hoạt động"]] == 2 and total[col["Số thành viên"]] == 1
    assert sheet.cell(row=9, column=dvctt + 1).number_format == "#,##0"
    idle = book["Tổ chưa hoạt động"]
    idle_teams = [r[1] for r in idle.iter_rows(min_row=4, values_only=True)]
    assert idle_teams == ["Tổ CNSCĐ Ấp A2"]


def test_targets_add_target_and_achievement_columns(api, province_admin, commune_officer_a, commune_with_visits):
    year, month = (int(p) for p in _last_month().split("-"))
    api(province_admin).post("/api/v1/targets/", {"indicator": "visits", "area": commune_with_visits.pk,
                                                  "year": year, "month": month, "value": 6})  # fmt: skip
    client = api(commune_officer_a)
    report_id = _request(client, commune_with_visits).json()["id"]
    sheet = load_workbook(io.BytesIO(_download(client, report_id)))["Báo cáo"]
    header = [c.value for c in sheet[8]]
    visits = next(i for i, h in enumerate(header) if str(h).startswith("Số lượt hỗ trợ"))
    assert header[visits + 1] == "Chỉ tiêu" and header[visits + 2] == "Tỷ lệ đạt (%)"
    total = next(r for r in sheet.iter_rows(min_row=9, values_only=True) if r[1] == "TỔNG CỘNG")
    assert (total[visits], total[visits + 1], total[visits + 2]) == (3, 6, 50)


def test_the_workflow_submit_approve_and_freeze(api, commune_officer_a, province_admin, team_member_a1,
                                                commune_with_visits, hamlet_a1):  # fmt: skip
    officer, admin = api(commune_officer_a), api(province_admin)
    report_id = _request(officer, commune_with_visits).json()["id"]
    assert admin.post(f"{REPORTS}{report_id}/approve/").status_code == 400  # a draft is not approved
    assert officer.post(f"{REPORTS}{report_id}/submit/").json()["status"] == "submitted"
    assert officer.post(f"{REPORTS}{report_id}/approve/").status_code == 403
    approved = admin.post(f"{REPORTS}{report_id}/approve/").json()
    assert approved["status"] == "approved" and approved["approved_at"]
    frozen = _download(officer, report_id)
    # later visits and requests never change an approved report
    last_day = date.fromisoformat(_last_month() + "-01") + timedelta(days=10)
    household = Household.objects.filter(area=hamlet_a1).first()
    _visit(api(team_member_a1), household, last_day)
    again = _request(officer, commune_with_visits)
    assert again.status_code == 400 and "period" in again.json()
    assert officer.post(f"{REPORTS}{report_id}/submit/").status_code == 400
    assert _download(officer, report_id) == frozen
    assert Report.objects.get(pk=report_id).status == "approved"


def test_a_returned_report_is_regenerated_when_submitted_again(
    api, commune_officer_a, province_admin, team_member_a1, commune_with_visits, hamlet_a1
):
    officer, admin = api(commune_officer_a), api(province_admin)
    report_id = _request(officer, commune_with_visits).json()["id"]
    officer.post(f"{REPORTS}{report_id}/submit/")
    assert admin.post(f"{REPORTS}{report_id}/return/", {"reason": ""}).status_code == 400
    returned = admin.post(f"{REPORTS}{report_id}/return/", {"reason": "Thiếu số liệu ấp A2"}).json()
    assert returned["status"] == "returned" and returned["return_reason"] == "Thiếu số liệu ấp A2"
    day = date.fromisoformat(_last_month() + "-01") + timedelta(days=5)
    household = Household.objects.filter(area=hamlet_a1).first()
    _visit(api(team_member_a1), household, day)
    assert officer.post(f"{REPORTS}{report_id}/submit/").json()["status"] == "submitted"
    sheet = load_workbook(io.BytesIO(_download(officer, report_id)))["Báo cáo"]
    header = [c.value for c in sheet[8]]
    dvctt = next(i for i, h in enumerate(header) if "Dịch vụ công" in str(h))
    total = next(r for r in sheet.iter_rows(min_row=9, values_only=True) if r[1] == "TỔNG CỘNG")
    assert total[dvctt] == 3003 + 7


def test_reports_outside_the_scope_are_404_and_roles_are_enforced(
    api, commune_officer_a, commune_officer_b, team_member_a1, viewer, commune_with_visits
):
    report_id = _request(api(commune_officer_a), commune_with_visits).json()["id"]
    other = api(commune_officer_b)
    assert other.get(f"{REPORTS}{report_id}/").status_code == 404
    assert other.get(f"{REPORTS}{report_id}/download/").status_code == 404
    assert other.post(f"{REPORTS}{report_id}/submit/").status_code == 404
    assert other.get(REPORTS).json()["count"] == 0
    assert _request(other, commune_with_visits).status_code == 400  # an area outside the scope does not exist
    assert api(viewer).get(f"{REPORTS}{report_id}/").status_code == 200  # viewers read
    assert api(viewer).post(f"{REPORTS}{report_id}/submit/").status_code == 403
    assert _request(api(team_member_a1), commune_with_visits).status_code == 403  # no role that prepares reports
    assert _request(api(commune_officer_a), commune_with_visits, "2026-13").status_code == 400
    future = (date.today().replace(day=28) + timedelta(days=10)).strftime("%Y-%m")
    assert _request(api(commune_officer_a), commune_with_visits, future).status_code == 400


def test_the_print_view_shows_the_same_report_on_a4(client, commune_officer_a, commune_with_visits, api):
    report_id = _request(api(commune_officer_a), commune_with_visits).json()["id"]
    client.force_login(commune_officer_a)
    page = client.get(f"/reports/{report_id}/print/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "TỔNG CỘNG" in html
    assert "3.003" in html  # Vietnamese thousands separator
    assert "size: A4" in html or "print.css" in html


def test_the_reports_page_lists_reports_of_the_scope(client, commune_officer_a, commune_officer_b,
                                                     commune_with_visits, api):  # fmt: skip
    _request(api(commune_officer_a), commune_with_visits)
    client.force_login(commune_officer_a)
    assert commune_with_visits.name in client.get("/reports/").content.decode()
    client.force_login(commune_officer_b)
    assert commune_with_visits.name not in client.get("/reports/").content.decode()
    assert client.get(f"/reports/{Report.objects.get().pk}/print/").status_code == 404


def test_names_that_look_like_formulas_are_neutralised_in_the_workbook(api, commune_officer_a, commune_a):
    from areas.services import hamlet_create

    hamlet = hamlet_create(parent=commune_a, name='=HYPERLINK("http://x.example","Ấp")', kind="Ấp")
    Team.objects.create(area=hamlet, name="+Tổ 1", established_on=date(2024, 1, 15))
    client = api(commune_officer_a)
    book = load_workbook(io.BytesIO(_download(client, _request(client, commune_a).json()["id"])))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    texts = {c.value for c in cells}
    assert '\'=HYPERLINK("http://x.example","Ấp")' in texts and "'+Tổ 1" in texts


@pytest.fixture
def second_province_admin(province):
    from accounts.models import Role, RoleAssignment, User

    user = User.objects.create_user(username="tinh.admin2", password="Mật-khẩu-thử-2026", full_name="Tỉnh Hai")
    RoleAssignment.objects.create(user=user, role=Role.PROVINCE_ADMIN, area=province)
    return user


def test_the_province_admin_who_submitted_a_report_cannot_approve_or_return_it(
    api, province_admin, second_province_admin, commune_with_visits
):
    admin, other = api(province_admin), api(second_province_admin)
    report_id = _request(admin, commune_with_visits).json()["id"]
    assert admin.post(f"{REPORTS}{report_id}/submit/").json()["status"] == "submitted"
    for verb, data in (("approve", {}), ("return", {"reason": "Tự trả lại"})):
        refused = admin.post(f"{REPORTS}{report_id}/{verb}/", data)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "Bạn là người nộp báo cáo này, nên một quản trị viên cấp tỉnh khác phải duyệt hoặc trả lại báo cáo."
        )
    assert Report.objects.get(pk=report_id).status == "submitted"
    approved = other.post(f"{REPORTS}{report_id}/approve/").json()
    assert approved["status"] == "approved"
    report = Report.objects.get(pk=report_id)
    assert (report.submitted_by, report.approved_by) == (province_admin, second_province_admin)


def test_a_report_returned_by_another_admin_may_be_approved_by_the_first_once_someone_else_submits_it(
    api, province_admin, second_province_admin, commune_officer_a, commune_with_visits
):
    admin, other = api(province_admin), api(second_province_admin)
    report_id = _request(admin, commune_with_visits).json()["id"]
    admin.post(f"{REPORTS}{report_id}/submit/")
    assert other.post(f"{REPORTS}{report_id}/return/", {"reason": "Thiếu số liệu"}).json()["status"] == "returned"
    assert api(commune_officer_a).post(f"{REPORTS}{report_id}/submit/").json()["status"] == "submitted"
    assert admin.post(f"{REPORTS}{report_id}/approve/").json()["status"] == "approved"  # the last submitter counts


def test_the_reports_page_hides_approve_and_return_from_the_submitter(
    client, api, province_admin, second_province_admin, commune_with_visits
):
    report_id = _request(api(province_admin), commune_with_visits).json()["id"]
    api(province_admin).post(f"{REPORTS}{report_id}/submit/")
    approve_url = f"/reports/{report_id}/approve/"
    client.force_login(province_admin)
    html = client.get("/reports/").content.decode()
    assert approve_url not in html and f"/reports/{report_id}/return/" not in html
    assert "một quản trị viên cấp tỉnh khác sẽ duyệt hoặc trả lại" in html
    client.post(approve_url)  # the page's own action is refused too
    assert Report.objects.get(pk=report_id).status == "submitted"
    client.force_login(second_province_admin)
    html = client.get("/reports/").content.decode()
    assert approve_url in html and f"/reports/{report_id}/return/" in html
