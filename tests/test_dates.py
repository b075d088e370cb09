"""Dates keep the rules: leaving and dissolution dates are never in the future (a future date freed the phone or
the hamlet at once while the rollup still counted the person or the team); a refused request changes nothing,
row by row; deleting a unit never deletes its targets or export logs silently."""

import io
import uuid
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook

from households.models import ExportLog, Household, Visit
from members.models import Member, TrainingSession
from members.resources import MemberImport
from reports.models import Indicator, Report, Target
from teams.models import Team

TOMORROW = timezone.localdate() + timedelta(days=1)
FAR = date(2099, 12, 31)


@pytest.fixture
def member_a1_with_phone(team_a1, team_member_a1) -> Member:
    """``member_a1`` with a phone (freed when they leave) and a joining date the leaving dates are checked against."""
    return Member.objects.create(
        team=team_a1, user=team_member_a1, full_name="Nguyễn Văn Tổ", gender="male", organization="youth_union",
        phone="0912345678", joined_on=date(2024, 2, 1),
    )  # fmt: skip


# --- Leaving and dissolution dates ------------------------------------------------------------------------


@pytest.mark.parametrize("left_on", [TOMORROW, FAR])
def test_retiring_a_member_on_a_future_date_is_refused_and_keeps_their_phone(
    api, commune_officer_a, member_a1_with_phone, hamlet_a2, left_on
):
    client = api(commune_officer_a)
    response = client.post(f"/api/v1/members/{member_a1_with_phone.pk}/retire/", {"left_on": left_on.isoformat()})
    assert response.status_code == 400
    assert response.json() == {
        "left_on": ["Ngày rời tổ không thể ở tương lai: hãy ghi nhận khi thành viên đã thực sự rời tổ."]
    }
    member_a1_with_phone.refresh_from_db()
    assert member_a1_with_phone.left_on is None
    other = Team.objects.create(area=hamlet_a2, name="Tổ A2", established_on=date(2024, 1, 15))
    data = {"team": other.pk, "full_name": "Nguyễn Văn Tổ", "gender": "male", "organization": "youth_union"}
    again = client.post("/api/v1/members/", {**data, "phone": "0912345678"})
    assert again.status_code == 400 and "phone" in again.json()  # still an active member of A1


def test_a_member_leaves_today_and_their_phone_is_free_from_then_on(api, commune_officer_a, member_a1_with_phone):
    today = timezone.localdate().isoformat()
    response = api(commune_officer_a).post(f"/api/v1/members/{member_a1_with_phone.pk}/retire/", {"left_on": today})
    assert response.status_code == 200 and response.json()["left_on"] == today


def test_a_member_edited_or_created_with_a_future_leaving_date_is_refused(
    api, commune_officer_a, member_a1_with_phone, team_a1
):
    client = api(commune_officer_a)
    response = client.patch(f"/api/v1/members/{member_a1_with_phone.pk}/", {"left_on": FAR.isoformat()})
    assert response.status_code == 400 and list(response.json()) == ["left_on"]
    data = {"team": team_a1.pk, "full_name": "Lê Thị Hoa", "gender": "female", "organization": "police"}
    response = client.post("/api/v1/members/", {**data, "phone": "0387654321", "left_on": FAR.isoformat()})
    assert response.status_code == 400 and list(response.json()) == ["left_on"]
    assert Member.objects.count() == 1 and Member.objects.get().left_on is None


def test_a_roster_file_with_a_future_leaving_date_is_a_row_error(api, commune_officer_a, commune_a, hamlet_a1):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in MemberImport.columns])
    sheet.append(
        [commune_a.code, hamlet_a1.name, "", "Lê Thị Hoa", "Nữ", 1990, "0387654321", "", "Công an", "Thành viên",
         "01/03/2024", FAR.strftime("%d/%m/%Y"), ""]
    )  # fmt: skip
    upload = io.BytesIO()
    workbook.save(upload)
    upload.seek(0)
    upload.name = "ds.xlsx"
    body = api(commune_officer_a).post("/api/v1/imports/", {"kind": "members", "file": upload}, format="multipart")
    body = body.json()
    assert body["status"] == "rejected"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "Ngày rời tổ")]
    assert not Member.objects.exists()


@pytest.mark.parametrize("dissolved_on", [TOMORROW, FAR])
def test_dissolving_a_team_on_a_future_date_is_refused_and_the_hamlet_keeps_one_team(
    api, commune_officer_a, team_a1, member_a1_with_phone, hamlet_a1, dissolved_on
):
    client = api(commune_officer_a)
    response = client.post(f"/api/v1/teams/{team_a1.pk}/dissolve/", {"dissolved_on": dissolved_on.isoformat()})
    assert response.status_code == 400
    assert response.json() == {
        "dissolved_on": ["Ngày giải thể không thể ở tương lai: hãy giải thể tổ vào đúng ngày đó."]
    }
    team_a1.refresh_from_db()
    member_a1_with_phone.refresh_from_db()
    assert (team_a1.status, team_a1.dissolved_on, member_a1_with_phone.left_on) == ("active", None, None)
    second = client.post("/api/v1/teams/", {"area": hamlet_a1.pk, "name": "Tổ thứ hai", "established_on": "2025-01-01"})
    assert second.status_code == 400 and Team.objects.filter(area=hamlet_a1).count() == 1


def test_the_rollup_counts_one_team_and_one_person_after_a_dissolution_today(
    api, commune_officer_a, province_admin, team_a1, member_a1_with_phone, hamlet_a1, commune_a
):
    client = api(commune_officer_a)
    today = timezone.localdate()
    assert client.post(f"/api/v1/teams/{team_a1.pk}/dissolve/", {"dissolved_on": today.isoformat()}).status_code == 200
    founded = client.post("/api/v1/teams/", {"area": hamlet_a1.pk, "name": "Tổ mới", "established_on": today})
    assert founded.status_code == 201, founded.json()
    data = {"team": founded.json()["id"], "full_name": "Nguyễn Văn Tổ", "gender": "male", "organization": "police"}
    assert client.post("/api/v1/members/", {**data, "phone": "0912345678"}).status_code == 201
    call_command("rollup_kpis", "--full", stdout=io.StringIO())
    rows = api(province_admin).get("/api/v1/kpis/", {"area": commune_a.pk, "period": today.strftime("%Y-%m")})
    values = {r["indicator"]: r["value"] for r in rows.json()["results"]}
    assert values["teams"] == 1 and values["members"] == 1


# --- A refused request changes nothing --------------------------------------------------------------------


def test_a_refused_target_patch_leaves_the_target_as_it_was(api, province_admin, commune_a):
    target = Target.objects.create(indicator=Indicator.objects.get(code="visits"), area=commune_a, year=2026, value=50)
    before = Target.objects.filter(pk=target.pk).values().get()
    response = api(province_admin).patch(
        f"/api/v1/targets/{target.pk}/", {"indicator": "hamlet_coverage", "value": 150}, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["value"]
    assert Target.objects.filter(pk=target.pk).values().get() == before


def test_a_target_moved_onto_an_existing_one_is_refused_and_changes_nothing(api, province_admin, commune_a):
    visits, members = Indicator.objects.get(code="visits"), Indicator.objects.get(code="members")
    Target.objects.create(indicator=visits, area=commune_a, year=2026, value=50)
    target = Target.objects.create(indicator=members, area=commune_a, year=2026, value=10)
    before = list(Target.objects.order_by("pk").values())
    response = api(province_admin).patch(f"/api/v1/targets/{target.pk}/", {"indicator": "visits"}, format="json")
    assert response.status_code == 400
    assert list(Target.objects.order_by("pk").values()) == before
    changed = api(province_admin).patch(f"/api/v1/targets/{target.pk}/", {"value": 12}, format="json")
    assert changed.status_code == 200 and changed.json()["value"] in (12, "12.0", 12.0)


@pytest.fixture
def one_of_each_resource(province, commune_a, hamlet_a1, team_a1, member_a1_with_phone, province_admin):
    household = Household.objects.create(area=hamlet_a1, code="H1", head_name="Trần Văn Bình", size=3)
    session = TrainingSession.objects.create(area=hamlet_a1, topic="VNeID", held_on=date(2025, 3, 1))
    visit_id = None
    from households import visits as services

    data, _created = services.visit_record(
        acting_user=member_a1_with_phone.user, member=member_a1_with_phone, household=household, area=None,
        date=timezone.localdate() - timedelta(days=1), channel="door_to_door",
        activities=[("vneid_activation", 1)], client_uuid=uuid.uuid4(),
    )  # fmt: skip
    visit_id = Visit.objects.get().pk
    target = Target.objects.create(indicator=Indicator.objects.get(code="visits"), area=commune_a, year=2026, value=5)
    report = Report.objects.create(area=commune_a, period="2025-01")
    return {
        "area": hamlet_a1.pk,
        "team": team_a1.pk,
        "member": member_a1_with_phone.pk,
        "training-session": session.pk,
        "household": household.pk,
        "visit": visit_id,
        "target": target.pk,
        "report": report.pk,
    }


MODELS = {
    "area": ("areas", "Area"),
    "team": ("teams", "Team"),
    "member": ("members", "Member"),
    "training-session": ("members", "TrainingSession"),
    "household": ("households", "Household"),
    "visit": ("households", "Visit"),
    "target": ("reports", "Target"),
    "report": ("reports", "Report"),
}
URLS = {
    "area": "/api/v1/areas/{}/",
    "team": "/api/v1/teams/{}/",
    "member": "/api/v1/members/{}/",
    "training-session": "/api/v1/training-sessions/{}/",
    "household": "/api/v1/households/{}/",
    "visit": "/api/v1/visits/{}/",
    "target": "/api/v1/targets/{}/",
    "report": "/api/v1/reports/{}/",
}
BODIES = {
    "area": {"name": "Ấp đổi tên", "kind": "Thôn"},
    "team": {"name": "Tổ đổi tên", "established_on": "2024-01-15"},
    "member": {"full_name": "Tên khác", "gender": "female", "organization": "police", "phone": "0387654321"},
    "training-session": {"topic": "Chủ đề khác", "held_on": "2025-04-01"},
    "household": {"code": "H9", "head_name": "Chủ hộ khác", "size": 5},
    "visit": {"note": "khác"},
    "target": {"value": 99},
    "report": {"period": "2025-02"},
}
ACTIONS = {"team": ["dissolve/"], "member": ["retire/"], "report": ["submit/", "approve/", "return/"]}
# A persona of each resource who may read it but not write it (areas.policy).
READERS = {
    "area": "team_member_a1",
    "team": "team_member_a1",
    "member": "team_member_a1",
    "training-session": "team_member_a1",
    "household": "team_member_a1",
    "visit": "team_member_a1",
    "target": "commune_officer_a",
    "report": "viewer",
}


def _row(resource, pk):
    from django.apps import apps

    model = apps.get_model(*MODELS[resource])
    return model.objects.filter(pk=pk).values().get(), model.objects.count()


@pytest.mark.parametrize("resource", list(URLS))
def test_every_refused_write_leaves_the_row_as_it_was(request, api, one_of_each_resource, resource):
    persona = request.getfixturevalue(READERS[resource])
    client = api(persona)
    pk = one_of_each_resource[resource]
    url = URLS[resource].format(pk)
    assert client.get(url).status_code == 200  # the persona reads it
    before = _row(resource, pk)
    body = {**BODIES[resource], "dissolved_on": timezone.localdate().isoformat(), "reason": "sai"}
    answers = [
        client.patch(url, BODIES[resource], format="json"),
        client.put(url, BODIES[resource], format="json"),
        client.delete(url),
        *(client.post(url + action, body, format="json") for action in ACTIONS.get(resource, [])),
    ]
    assert all(400 <= a.status_code < 500 and a.status_code != 404 for a in answers), [
        (a.request["REQUEST_METHOD"], a.status_code) for a in answers
    ]
    assert _row(resource, pk) == before


# --- Deleting a unit never deletes what names it ----------------------------------------------------------


def test_a_hamlet_with_a_target_is_not_deleted_and_keeps_its_target(api, commune_officer_a, hamlet_a1):
    target = Target.objects.create(indicator=Indicator.objects.get(code="visits"), area=hamlet_a1, year=2026, value=5)
    response = api(commune_officer_a).delete(f"/api/v1/areas/{hamlet_a1.pk}/")
    assert response.status_code == 409 and "không thể xóa" in response.json()["detail"]
    assert Target.objects.filter(pk=target.pk).exists()


def test_a_hamlet_with_an_export_log_is_not_deleted_and_keeps_its_log(api, commune_officer_a, hamlet_a1):
    ExportLog.objects.create(user=commune_officer_a, kind="households_csv", area=hamlet_a1, rows=3)
    response = api(commune_officer_a).delete(f"/api/v1/areas/{hamlet_a1.pk}/")
    assert response.status_code == 409
    assert ExportLog.objects.filter(area=hamlet_a1).count() == 1


def test_an_empty_hamlet_is_still_deleted(api, commune_officer_a, hamlet_a1):
    assert api(commune_officer_a).delete(f"/api/v1/areas/{hamlet_a1.pk}/").status_code == 204
