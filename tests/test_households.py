"""Households through the API: scope, masking, consent, derived digital status, audit, checklist, export log."""

from datetime import date

import pytest
from django.apps import apps

from accounts.models import Role, RoleAssignment
from areas.models import Area
from households.models import ExportLog, Household
from members.models import Member
from tests.conftest import _user

pytestmark = pytest.mark.usefixtures("real_units")


@pytest.fixture
def leader_member_a1(team_a1, team_leader_a1) -> Member:
    return Member.objects.create(
        team=team_a1, user=team_leader_a1, full_name="Trần Thị Trưởng", gender="female",
        organization="hamlet_head", role="leader",
    )  # fmt: skip


@pytest.fixture
def member_b1(team_b1, hamlet_b1) -> Member:
    user = _user("to.vien.b1", Role.TEAM_MEMBER, hamlet_b1)
    return Member.objects.create(team=team_b1, user=user, full_name="Lê B1", gender="male", organization="police")


def _household(area: Area, code: str, **extra) -> Household:
    extra = {"head_name": f"Chủ hộ {code}", "address": f"Số {code}", **extra}
    return Household.objects.create(area=area, code=code, **extra)


@pytest.fixture
def household_a1(hamlet_a1) -> Household:
    return _household(hamlet_a1, "A1-001", phone="0912345623", consent_given=True, size=4)


@pytest.fixture
def household_a2(hamlet_a2) -> Household:
    return _household(hamlet_a2, "A2-001")


@pytest.fixture
def household_b1(hamlet_b1) -> Household:
    return _household(hamlet_b1, "B1-001")


URL = "/api/v1/households/"


def test_a_team_leader_adds_a_household_to_their_hamlet(api, team_leader_a1, hamlet_a1):
    response = api(team_leader_a1).post(
        URL,
        {
            "area": hamlet_a1.pk,
            "code": "A1-010",
            "head_name": "Phạm Văn Hộ",
            "address": "Tổ 3",
            "size": 5,
            "categories": ["poor", "elderly_alone"],
            "has_smartphone": True,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["categories"] == ["elderly_alone", "poor"]
    assert body["has_dvctt_account"] is False and body["phone"] == ""


def test_the_derived_status_cannot_be_typed_in(api, team_leader_a1, household_a1):
    response = api(team_leader_a1).patch(f"{URL}{household_a1.pk}/", {"has_vneid": True, "has_cashless": True})
    assert response.status_code == 200
    household_a1.refresh_from_db()
    assert household_a1.has_vneid is False and household_a1.has_cashless is False


def test_a_phone_without_consent_is_refused_with_a_clear_message(api, team_leader_a1, hamlet_a1):
    response = api(team_leader_a1).post(
        URL, {"area": hamlet_a1.pk, "code": "A1-011", "head_name": "Hộ", "phone": "0912345678", "consent_given": False}
    )
    assert response.status_code == 400
    assert "phone" in response.json()
    assert "đồng ý" in response.json()["phone"][0]  # Vietnamese by default
    assert not Household.objects.filter(code="A1-011").exists()


def test_a_phone_with_consent_is_kept_and_consent_time_recorded(api, team_leader_a1, hamlet_a1):
    response = api(team_leader_a1).post(
        URL, {"area": hamlet_a1.pk, "code": "A1-012", "head_name": "Hộ", "phone": "091 234 5678", "consent_given": True}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "0912345678"
    assert Household.objects.get(code="A1-012").consent_recorded_at is not None


def test_withdrawing_consent_erases_the_phone(api, team_leader_a1, household_a1):
    response = api(team_leader_a1).patch(f"{URL}{household_a1.pk}/", {"consent_given": False})
    assert response.status_code == 200
    household_a1.refresh_from_db()
    assert household_a1.phone == "" and household_a1.consent_recorded_at is None


def test_the_database_refuses_a_phone_without_consent(household_a2):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=household_a2.pk).update(phone="0912345678", consent_given=False)


def test_a_bad_phone_number_is_refused(api, team_leader_a1, hamlet_a1):
    response = api(team_leader_a1).post(
        URL, {"area": hamlet_a1.pk, "code": "A1-013", "head_name": "Hộ", "phone": "12ab", "consent_given": True}
    )
    assert response.status_code == 400 and "phone" in response.json()


def test_codes_are_unique_per_hamlet_only(api, team_leader_a1, commune_officer_a, household_a1, hamlet_a2):
    again = api(team_leader_a1).post(URL, {"area": household_a1.area_id, "code": "A1-001", "head_name": "X"})
    assert again.status_code == 400 and "code" in again.json()
    other_hamlet = api(commune_officer_a).post(URL, {"area": hamlet_a2.pk, "code": "A1-001", "head_name": "X"})
    assert other_hamlet.status_code == 201


def test_unknown_categories_are_refused(api, team_leader_a1, hamlet_a1):
    response = api(team_leader_a1).post(
        URL, {"area": hamlet_a1.pk, "code": "A1-014", "head_name": "Hộ", "categories": ["rich"]}
    )
    assert response.status_code == 400 and "categories" in response.json()


def test_a_household_belongs_to_a_hamlet_not_a_commune(api, commune_officer_a, commune_a):
    response = api(commune_officer_a).post(URL, {"area": commune_a.pk, "code": "X-1", "head_name": "Hộ"})
    assert response.status_code == 400 and "area" in response.json()


def test_a_team_member_reads_but_cannot_add_households(api, team_member_a1, hamlet_a1, household_a1):
    client = api(team_member_a1)
    assert client.get(f"{URL}{household_a1.pk}/").status_code == 200
    assert client.post(URL, {"area": hamlet_a1.pk, "code": "A1-020", "head_name": "Hộ"}).status_code == 403


def test_a_member_of_hamlet_a1_cannot_read_households_of_a2_or_b1(
    api, team_member_a1, household_a1, household_a2, household_b1
):
    client = api(team_member_a1)
    ids = [row["id"] for row in client.get(URL).json()["results"]]
    assert ids == [household_a1.pk]
    assert client.get(f"{URL}{household_a2.pk}/").status_code == 404
    assert client.get(f"{URL}{household_b1.pk}/").status_code == 404


def test_a_commune_officer_cannot_add_a_household_in_another_commune(api, commune_officer_a, hamlet_b1):
    response = api(commune_officer_a).post(URL, {"area": hamlet_b1.pk, "code": "B1-9", "head_name": "Hộ"})
    assert response.status_code == 400 and "area" in response.json()
    assert not Household.objects.filter(code="B1-9").exists()


def test_a_commune_officer_cannot_change_a_household_of_another_commune(api, commune_officer_a, household_b1):
    assert api(commune_officer_a).patch(f"{URL}{household_b1.pk}/", {"size": 3}).status_code == 404


def test_commune_and_team_users_see_the_full_phone(api, commune_officer_a, team_member_a1, household_a1):
    for user in (commune_officer_a, team_member_a1):
        assert api(user).get(f"{URL}{household_a1.pk}/").json()["phone"] == "0912345623"


def test_province_staff_see_the_phone_masked(api, province_admin, household_a1):
    assert api(province_admin).get(f"{URL}{household_a1.pk}/").json()["phone"] == "09******23"
    listed = api(province_admin).get(URL, {"code": "A1-001"}).json()["results"]
    assert listed[0]["phone"] == "09******23"


def test_viewers_read_neither_households_nor_visits(api, viewer, household_a1):
    client = api(viewer)
    for url in (URL, f"{URL}export/", "/api/v1/visits/"):
        assert client.get(url).status_code == 403, url
    assert "dữ liệu cá nhân" in client.get(URL).json()["detail"]
    # An object answers as one outside the scope does, so its existence does not leak.
    assert client.get(f"{URL}{household_a1.pk}/").status_code == 404
    assert client.patch(f"{URL}{household_a1.pk}/", {"size": 9}).status_code == 404


def test_province_staff_can_send_a_household_back_with_its_masked_phone(api, province_admin, household_a1):
    client = api(province_admin)
    data = client.get(f"{URL}{household_a1.pk}/").json()
    assert data["phone"] == "09******23"
    response = client.put(f"{URL}{household_a1.pk}/", {**data, "size": 6}, format="json")
    assert response.status_code == 200, response.json()
    assert client.patch(f"{URL}{household_a1.pk}/", {"phone": "09******23"}).status_code == 200
    household_a1.refresh_from_db()
    assert (household_a1.size, household_a1.phone) == (6, "0912345623")
    response = client.patch(f"{URL}{household_a1.pk}/", {"phone": "09******99"})
    assert response.status_code == 400
    assert response.json()["phone"] == [
        "Số điện thoại đã che chỉ được gửi lại nguyên như cũ; muốn đổi số, hãy nhập đầy đủ số mới."
    ]
    household_a1.refresh_from_db()
    assert household_a1.phone == "0912345623"
    # Withdrawing consent with the masked phone sent back erases the number, as the consent rule says.
    response = client.put(f"{URL}{household_a1.pk}/", {**data, "consent_given": False}, format="json")
    assert response.status_code == 200, response.json()
    household_a1.refresh_from_db()
    assert (household_a1.consent_given, household_a1.phone) == (False, "")


def test_api_errors_are_in_vietnamese(api, team_leader_a1, hamlet_a1):
    client = api(team_leader_a1)
    response = client.post(URL, {"area": hamlet_a1.pk, "categories": ["rich"], "size": "many"}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert errors["code"] == ["Trường này là bắt buộc."]
    assert errors["categories"] == {"0": ["Nhóm hộ không có trong danh mục: rich."]}
    assert errors["size"] == ["Cần một số nguyên hợp lệ."]


def test_a_viewer_role_on_the_commune_does_not_unmask_phones(api, province_admin, commune_a, household_a1):
    RoleAssignment.objects.create(user=province_admin, role=Role.VIEWER, area=commune_a)
    assert api(province_admin).get(f"{URL}{household_a1.pk}/").json()["phone"] == "09******23"


def test_a_province_admin_who_also_holds_a_commune_role_sees_that_communes_phones(
    api, province_admin, commune_a, household_a1
):
    RoleAssignment.objects.create(user=province_admin, role=Role.COMMUNE_OFFICER, area=commune_a)
    assert api(province_admin).get(f"{URL}{household_a1.pk}/").json()["phone"] == "0912345623"


def test_filters_search_and_lacks(api, commune_officer_a, household_a1, hamlet_a1):
    _household(hamlet_a1, "A1-002", categories=["poor"])
    Household.objects.filter(pk=household_a1.pk).update(has_vneid=True)
    client = api(commune_officer_a)
    assert [r["code"] for r in client.get(URL, {"q": "a1-00"}).json()["results"]] == ["A1-001", "A1-002"]
    assert [r["code"] for r in client.get(URL, {"category": "poor"}).json()["results"]] == ["A1-002"]
    assert [r["code"] for r in client.get(URL, {"lacks": "has_vneid"}).json()["results"]] == ["A1-002"]
    assert client.get(URL, {"area": hamlet_a1.parent_id}).json()["count"] == 2


def test_the_household_list_has_a_constant_number_of_queries(
    api, commune_officer_a, hamlet_a1, django_assert_max_num_queries
):
    for i in range(30):
        _household(hamlet_a1, f"Q-{i:03}", phone="0900000000", consent_given=True)
    client = api(commune_officer_a)
    with django_assert_max_num_queries(8):
        response = client.get(URL, {"page_size": 30})
    assert len(response.json()["results"]) == 30


def test_a_household_with_visits_cannot_be_deleted(api, team_leader_a1, household_a1, member_a1):
    from households import visits as services

    services.visit_record(
        member=member_a1, household=household_a1, area=None, date=date(2025, 3, 1), channel="door_to_door",
        activities={"cybersafety": 1}, client_uuid="7a1b1b1e-0000-4000-8000-000000000001", acting_user=member_a1.user,
    )  # fmt: skip
    assert api(team_leader_a1).delete(f"{URL}{household_a1.pk}/").status_code == 409


def test_household_changes_are_audited(api, team_leader_a1, household_a1):
    api(team_leader_a1).patch(f"{URL}{household_a1.pk}/", {"size": 7})
    events = apps.get_model("households", "HouseholdEvent").objects.filter(pgh_obj_id=household_a1.pk)
    assert [e.pgh_label for e in events.order_by("pgh_id")] == ["insert", "update"]
    assert events.get(pgh_label="update").size == 7


# --- Printable checklist and export log -------------------------------------------------------------------


def test_the_checklist_lists_what_each_household_still_lacks_and_is_logged(
    client, team_leader_a1, household_a1, hamlet_a1
):
    Household.objects.filter(pk=household_a1.pk).update(has_dvctt_account=True)
    client.force_login(team_leader_a1)
    response = client.get(f"/households/checklist/{hamlet_a1.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "A1-001" in html and "Chủ hộ A1-001" in html
    assert "0912345623" not in html  # phones are not printed
    log = ExportLog.objects.get()
    assert log.user == team_leader_a1 and log.kind == "household_checklist" and log.rows == 1


def test_the_checklist_of_a_hamlet_outside_the_scope_is_404(client, team_leader_a1, hamlet_b1):
    client.force_login(team_leader_a1)
    assert client.get(f"/households/checklist/{hamlet_b1.pk}/").status_code == 404
    assert not ExportLog.objects.exists()


def test_the_csv_export_neutralises_formulas_masks_phones_and_is_logged(api, province_admin, hamlet_a1):
    _household(hamlet_a1, "E-1", phone="0912345623", consent_given=True).__class__.objects.filter(code="E-1").update(
        head_name="=HYPERLINK(1)"
    )
    response = api(province_admin).get(f"{URL}export/", {"area": hamlet_a1.pk})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    assert "09******23" in text and "0912345623" not in text
    assert ExportLog.objects.get().rows == 1


def test_an_export_holds_only_the_scope_the_user_may_export_and_is_logged_where_its_admins_see_it(
    api, team_leader_a1, hamlet_a1, hamlet_b1, commune_a, household_a1
):
    _household(hamlet_b1, "B1-001")
    RoleAssignment.objects.create(user=team_leader_a1, role=Role.TEAM_MEMBER, area=hamlet_b1)  # reads B1 too
    client = api(team_leader_a1)
    assert client.get(URL).json()["count"] == 2
    text = client.get(f"{URL}export/").content.decode("utf-8-sig")
    assert "A1-001" in text and "B1-001" not in text
    assert ExportLog.objects.get().area == hamlet_a1  # the leader's exporting scope
    ExportLog.objects.all().delete()
    client.get(f"{URL}export-xlsx/", {"area": hamlet_a1.pk})
    assert ExportLog.objects.get().area == hamlet_a1  # the area filtered on


def test_export_logs_of_a_user_in_two_trees_are_filed_in_each(api, legacy_province, commune_a, household_a1):
    user = _user("can.bo.hai.noi", Role.COMMUNE_OFFICER, commune_a)
    RoleAssignment.objects.create(user=user, role=Role.PROVINCE_ADMIN, area=legacy_province)  # another root
    assert api(user).get(f"{URL}export/").status_code == 200
    assert sorted(log.area_id for log in ExportLog.objects.all()) == sorted([commune_a.pk, legacy_province.pk])


def test_the_administration_keeps_viewers_and_members_from_personal_data(client, viewer, team_member_a1, household_a1):
    from django.contrib.auth.models import Permission

    rights = Permission.objects.filter(codename__in=["view_household", "view_visit", "view_exportlog"])
    for user in (viewer, team_member_a1):
        user.is_staff = True
        user.save()
        user.user_permissions.add(*rights)
    ExportLog.objects.create(user=team_member_a1, kind="household_checklist", rows=1, area=household_a1.area)
    client.force_login(viewer)
    assert "A1-001" not in client.get("/admin/households/household/").content.decode()
    assert client.get(f"/admin/households/household/{household_a1.pk}/change/").status_code == 302  # not found
    client.force_login(team_member_a1)
    assert "household_checklist" not in client.get("/admin/households/exportlog/").content.decode()


def test_a_team_member_cannot_export(api, team_member_a1, hamlet_a1):
    assert api(team_member_a1).get(f"{URL}export/").status_code == 403


def test_the_administration_keeps_the_consent_rule_and_households_in_hamlets(
    client, superuser, household_a1, hamlet_a1, hamlet_b1
):
    client.force_login(superuser)  # the administration is superusers only (cnscd/admin.py)
    url = f"/admin/households/household/{household_a1.pk}/change/"
    form = {"area": hamlet_a1.pk, "code": "A1-001", "head_name": "Chủ hộ A1-001", "address": "", "size": 4}
    response = client.post(url, form)  # consent unticked
    assert response.status_code == 302
    household_a1.refresh_from_db()
    assert (household_a1.consent_given, household_a1.phone, household_a1.consent_recorded_at) == (False, "", None)
    response = client.post("/admin/households/household/add/", {**form, "area": hamlet_b1.parent_id, "code": "B-9"})
    assert response.status_code == 200 and not Household.objects.filter(code="B-9").exists()  # a commune
    response = client.post("/admin/households/household/add/", {**form, "area": hamlet_b1.pk, "code": "B1-009"})
    assert response.status_code == 302 and Household.objects.filter(code="B1-009", area=hamlet_b1).exists()
