# ruff: noqa: F811  (fixtures shared with test_households are imported, then used as arguments)
"""Visits through the API: idempotency by client_uuid (also under concurrency), bulk, every rule, scope, audit."""

import threading
import uuid
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role, RoleAssignment, User
from households.models import ActivityType, Household, Visit, VisitActivity
from members.models import Member
from teams.models import Team
from tests.test_households import (  # noqa: F401  (fixtures)
    _household,
    household_a1,
    household_a2,
    household_b1,
    leader_member_a1,
    member_b1,
)

pytestmark = pytest.mark.usefixtures("real_units")

URL = "/api/v1/visits/"
BULK = "/api/v1/visits/bulk/"


def visit(household=None, **extra) -> dict:
    data = {
        "client_uuid": str(uuid.uuid4()),
        "household": household.pk if household else None,
        "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "channel": "door_to_door",
        "activities": [{"type": "vneid_activation", "quantity": 2}, {"type": "cybersafety", "quantity": 1}],
        "note": "Hướng dẫn cả nhà",
    }
    data.update(extra)
    return data


# --- Recording one visit -----------------------------------------------------------------------------------


def test_a_member_logs_a_visit_and_team_member_and_area_default(api, team_member_a1, member_a1, household_a1):
    response = api(team_member_a1).post(URL, visit(household_a1))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["team"] == member_a1.team_id and body["member"] == member_a1.pk
    assert body["area"] == household_a1.area_id and body["household"] == household_a1.pk
    assert sorted((a["type"], a["quantity"]) for a in body["activities"]) == [
        ("cybersafety", 1),
        ("vneid_activation", 2),
    ]
    stored = Visit.objects.get()
    assert stored.created_by == team_member_a1 and stored.note == "Hướng dẫn cả nhà"
    assert api(team_member_a1).get(f"{URL}{body['id']}/").json() == body


def test_sending_the_same_visit_again_answers_200_with_the_stored_visit(api, team_member_a1, member_a1, household_a1):
    client = api(team_member_a1)
    data = visit(household_a1)
    first = client.post(URL, data)
    second = client.post(URL, data)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert Visit.objects.count() == 1 and VisitActivity.objects.count() == 2


def test_the_same_client_uuid_with_different_content_is_a_409(api, team_member_a1, member_a1, household_a1):
    client = api(team_member_a1)
    data = visit(household_a1)
    assert client.post(URL, data).status_code == 201
    changed = {**data, "activities": [{"type": "vneid_activation", "quantity": 3}]}
    response = client.post(URL, changed)
    assert response.status_code == 409 and "detail" in response.json()
    assert Visit.objects.count() == 1


def test_a_replay_is_judged_on_its_content_whatever_the_order_of_its_activities(
    api, team_member_a1, member_a1, household_a1
):
    client = api(team_member_a1)
    data = visit(household_a1)
    stored = client.post(URL, data).json()
    reordered = {**data, "activities": data["activities"][::-1]}
    other_quantity = {**data, "activities": [{**data["activities"][0], "quantity": 9}, data["activities"][1]]}
    one_less = {**data, "activities": data["activities"][:1]}
    response = client.post(URL, reordered)
    assert (response.status_code, response.json()["id"]) == (200, stored["id"])
    assert client.post(URL, other_quantity).status_code == 409
    results = client.post(BULK, {"visits": [reordered, other_quantity, one_less, data]}).json()["results"]
    assert [(r["status"], r["id"]) for r in results] == [
        ("duplicate", stored["id"]),
        ("invalid", None),
        ("invalid", None),
        ("duplicate", stored["id"]),
    ]
    assert (
        results[1]["errors"]
        == results[2]["errors"]
        == {"client_uuid": ["Mã client_uuid này đã được dùng cho một lượt hỗ trợ khác."]}
    )
    assert Visit.objects.count() == 1 and VisitActivity.objects.count() == 2


def test_a_visit_without_household_needs_an_area(api, team_member_a1, member_a1, hamlet_a1):
    client = api(team_member_a1)
    missing = client.post(URL, visit(channel="one_stop_desk"))
    assert missing.status_code == 400 and "area" in missing.json()
    ok = client.post(URL, visit(channel="one_stop_desk", area=hamlet_a1.pk))
    assert ok.status_code == 201 and ok.json()["household"] is None and ok.json()["area"] == hamlet_a1.pk


def test_a_commune_team_logs_one_stop_desk_help_at_the_commune(api, commune_a, commune_officer_a):
    team = Team.objects.create(area=commune_a, name="Tổ xã A", established_on=date(2023, 5, 1))
    Member.objects.create(
        team=team, user=commune_officer_a, full_name="Cán bộ", gender="female", organization="commune_staff"
    )
    response = api(commune_officer_a).post(URL, visit(channel="one_stop_desk", area=commune_a.pk))
    assert response.status_code == 201, response.json()


def test_the_area_of_a_household_visit_is_the_households_hamlet(
    api, team_member_a1, member_a1, household_a1, hamlet_a2
):
    response = api(team_member_a1).post(URL, visit(household_a1, area=household_a1.area.parent_id))
    assert response.status_code == 400 and "area" in response.json()


def test_a_visit_cannot_be_in_the_future(api, team_member_a1, member_a1, household_a1):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = api(team_member_a1).post(URL, visit(household_a1, date=tomorrow))
    assert response.status_code == 400
    assert "tương lai" in response.json()["date"][0]


def test_a_visit_cannot_be_before_the_team_was_founded(api, team_member_a1, member_a1, household_a1):
    response = api(team_member_a1).post(URL, visit(household_a1, date="2024-01-14"))
    assert response.status_code == 400
    assert "15/01/2024" in response.json()["date"][0]
    assert api(team_member_a1).post(URL, visit(household_a1, date="2024-01-15")).status_code == 201


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "abc", None])
def test_quantities_are_whole_numbers_of_at_least_one(api, team_member_a1, member_a1, household_a1, quantity):
    response = api(team_member_a1).post(URL, visit(household_a1, activities=[{"type": "other", "quantity": quantity}]))
    assert response.status_code == 400 and "activities" in response.json()
    assert not Visit.objects.exists()


def test_shape_errors_are_in_vietnamese(api, team_member_a1, member_a1, household_a1):
    client = api(team_member_a1)
    response = client.post(URL, visit(household_a1, channel="bus"))
    assert response.json() == {"channel": ["Hình thức không hợp lệ."]}
    response = client.post(URL, visit(household_a1, activities=[{"type": "other", "quantity": 10001}]))
    assert response.json() == {
        "activities": {"0": {"quantity": ["Mỗi nội dung hỗ trợ của một lượt chỉ tính tối đa 10.000 người."]}}
    }
    results = client.post(BULK, {"visits": ["nonsense", {"date": "hôm qua"}]}).json()["results"]
    assert results[0]["errors"] == {"non_field_errors": ["Dữ liệu không hợp lệ: cần một đối tượng, nhận được str."]}
    assert results[1]["errors"]["client_uuid"] == ["Trường này là bắt buộc."]
    assert results[1]["errors"]["date"][0].startswith("Ngày sai định dạng.")


def test_other_help_needs_a_note_saying_what_it_was(api, team_member_a1, member_a1, household_a1):
    client = api(team_member_a1)
    assert client.get("/api/v1/activity-types/other/").json()["requires_note"] is True
    other = [{"type": "other", "quantity": 1}]
    response = client.post(URL, visit(household_a1, activities=other, note="  "))
    assert response.status_code == 400
    assert response.json() == {"note": ["Ghi rõ trong phần ghi chú đã hỗ trợ gì cho: Nội dung khác."]}
    assert client.post(URL, visit(household_a1, activities=other, note="Cài ứng dụng Zalo")).status_code == 201
    without_note = visit(household_a1, note="")
    assert client.post(URL, without_note).status_code == 201  # the other activities need none


def test_unknown_or_inactive_activities_are_refused(api, team_member_a1, member_a1, household_a1):
    client = api(team_member_a1)
    response = client.post(URL, visit(household_a1, activities=[{"type": "teleport", "quantity": 1}]))
    assert response.status_code == 400 and "teleport" in response.json()["activities"][0]
    assert client.post(URL, visit(household_a1, activities=[])).status_code == 400
    twice = [{"type": "other", "quantity": 1}, {"type": "other", "quantity": 2}]
    assert client.post(URL, visit(household_a1, activities=twice)).status_code == 400


def test_a_province_adds_an_activity_without_a_release(api, team_member_a1, member_a1, household_a1):
    from households import visits as services

    ActivityType.objects.create(code="digital_signature", name_vi="Chữ ký số", name_en="Digital signature")
    services.activity_types_forget()
    response = api(team_member_a1).post(
        URL, visit(household_a1, activities=[{"type": "digital_signature", "quantity": 1}])
    )
    assert response.status_code == 201
    codes = [t["code"] for t in api(team_member_a1).get("/api/v1/activity-types/").json()]
    assert "digital_signature" in codes and len(codes) == 12


def test_a_member_of_hamlet_a1_cannot_log_for_households_of_a2_or_b1(
    api, team_member_a1, member_a1, household_a2, household_b1, hamlet_b1
):
    client = api(team_member_a1)
    for household in (household_a2, household_b1):
        response = client.post(URL, visit(household))
        assert response.status_code == 400 and "household" in response.json()
    assert client.post(URL, visit(area=hamlet_b1.pk, channel="one_stop_desk")).status_code == 400
    assert not Visit.objects.exists()


def test_a_member_of_hamlet_a1_cannot_read_visits_of_b1(api, team_member_a1, member_a1, member_b1, household_b1):
    other = api(member_b1.user).post(URL, visit(household_b1))
    assert other.status_code == 201
    client = api(team_member_a1)
    assert client.get(f"{URL}{other.json()['id']}/").status_code == 404
    assert client.get(URL).json()["count"] == 0


def test_a_household_outside_the_team_area_is_refused_even_inside_the_users_scope(
    api, commune_officer_a, household_a2, team_a1
):
    Member.objects.create(team=team_a1, user=commune_officer_a, full_name="CB", gender="male", organization="police")
    response = api(commune_officer_a).post(URL, visit(household_a2))
    assert response.status_code == 400 and "household" in response.json()


def test_a_user_who_is_not_on_a_roster_cannot_log(api, team_leader_a1, household_a1):
    response = api(team_leader_a1).post(URL, visit(household_a1))
    assert response.status_code == 400 and "member" in response.json()


def test_a_viewer_cannot_log_visits(api, viewer):
    assert api(viewer).post(URL, visit()).status_code == 403
    assert api(viewer).post(BULK, {"visits": []}).status_code == 403


def test_a_member_cannot_log_in_a_teammates_name_but_the_leader_can(
    api, team_member_a1, team_leader_a1, member_a1, leader_member_a1, household_a1
):
    as_member = api(team_member_a1).post(URL, visit(household_a1, member=leader_member_a1.pk))
    assert as_member.status_code == 400 and "member" in as_member.json()
    as_leader = api(team_leader_a1).post(URL, visit(household_a1, member=member_a1.pk))
    assert as_leader.status_code == 201 and as_leader.json()["member"] == member_a1.pk


def test_a_team_that_is_not_the_members_is_refused(api, team_member_a1, member_a1, team_b1, household_a1):
    response = api(team_member_a1).post(URL, visit(household_a1, team=team_b1.pk))
    assert response.status_code == 400


def test_a_member_who_left_cannot_log(api, team_member_a1, member_a1, household_a1):
    Member.objects.filter(pk=member_a1.pk).update(left_on=date(2025, 1, 1))
    response = api(team_member_a1).post(URL, visit(household_a1))
    assert response.status_code == 400 and "member" in response.json()


def test_visits_typed_before_a_member_left_still_sync(api, team_member_a1, member_a1, household_a1):
    left = timezone.localdate() - timedelta(days=3)  # the first day off the roster
    Member.objects.filter(pk=member_a1.pk).update(left_on=left)
    client = api(team_member_a1)
    before = visit(household_a1, date=(left - timedelta(days=1)).isoformat())
    still_on = visit(household_a1, date=(left - timedelta(days=2)).isoformat())
    on_the_day = visit(household_a1, date=left.isoformat())
    response = client.post(URL, before)
    assert response.status_code == 201, response.json()
    assert response.json()["member"] == member_a1.pk
    results = client.post(BULK, {"visits": [still_on, on_the_day]}).json()["results"]
    assert [r["status"] for r in results] == ["created", "invalid"]
    assert results[1]["errors"] == {
        "member": [f"Bạn đã rời tổ ngày {left:%d/%m/%Y}: chỉ ghi nhận được các lượt hỗ trợ trước ngày đó."]
    }
    assert Visit.objects.filter(member=member_a1).count() == 2


def test_nobody_else_logs_visits_in_the_name_of_a_member_who_left(
    api, team_leader_a1, team_member_a1, leader_member_a1, member_a1, household_a1
):
    left = timezone.localdate() - timedelta(days=3)
    Member.objects.filter(pk=member_a1.pk).update(left_on=left)
    earlier = (left - timedelta(days=30)).isoformat()
    response = api(team_leader_a1).post(URL, visit(household_a1, member=member_a1.pk, date=earlier))
    assert response.status_code == 400
    assert response.json() == {"member": ["Thành viên này đã rời tổ."]}
    # Another member naming them learns nothing of when they left.
    other = User.objects.create_user(username="to.vien.khac", password="x")
    RoleAssignment.objects.create(user=other, role=Role.TEAM_MEMBER, area=member_a1.team.area)
    Member.objects.create(
        team=member_a1.team, user=other, full_name="Trần Thị Khác", gender="female", organization="other"
    )
    response = api(other).post(URL, visit(household_a1, member=member_a1.pk, date=earlier))
    assert response.json()["member"] == ["Bạn chỉ có thể ghi nhận lượt hỗ trợ của chính mình."]
    assert not Visit.objects.exists()


def test_anonymous_clients_get_401(anonymous):
    assert anonymous.post(URL, visit(), format="json").status_code == 401


# --- Derived household status -----------------------------------------------------------------------------


def test_visits_set_the_households_digital_status(api, team_member_a1, member_a1, household_a1):
    api(team_member_a1).post(URL, visit(household_a1, activities=[{"type": "vneid_activation", "quantity": 1}]))
    household_a1.refresh_from_db()
    assert (household_a1.has_vneid, household_a1.has_dvctt_account, household_a1.has_cashless) == (True, False, False)
    api(team_member_a1).post(URL, visit(household_a1, activities=[{"type": "cashless_account", "quantity": 1}]))
    body = api(team_member_a1).get(f"/api/v1/households/{household_a1.pk}/").json()
    assert (body["has_vneid"], body["has_dvctt_account"], body["has_cashless"]) == (True, False, True)


def test_deleting_a_visit_recomputes_the_status(api, team_member_a1, team_leader_a1, member_a1, household_a1):
    created = api(team_member_a1).post(URL, visit(household_a1)).json()
    assert api(team_member_a1).delete(f"{URL}{created['id']}/").status_code == 403
    assert api(team_leader_a1).delete(f"{URL}{created['id']}/").status_code == 204
    household_a1.refresh_from_db()
    assert household_a1.has_vneid is False


# --- Bulk -----------------------------------------------------------------------------------------------------


def test_bulk_with_mixed_items_answers_one_result_per_item(api, team_member_a1, member_a1, household_a1, household_b1):
    client = api(team_member_a1)
    stored = visit(household_a1)
    assert client.post(URL, stored).status_code == 201
    fresh = visit(household_a1, activities=[{"type": "dvctt_account", "quantity": 1}])
    repeated_in_batch = dict(fresh)
    conflict = {**stored, "note": "khác"}
    items = [
        fresh,
        stored,  # already stored: duplicate
        visit(household_b1),  # outside the scope
        visit(household_a1, date="2099-01-01"),  # future
        {"client_uuid": "not-a-uuid"},
        repeated_in_batch,  # same visit twice in one batch
        conflict,
        "nonsense",
    ]
    response = client.post(BULK, {"visits": items})
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [
        "created",
        "duplicate",
        "invalid",
        "invalid",
        "invalid",
        "duplicate",
        "invalid",
        "invalid",
    ]
    assert results[1]["id"] == Visit.objects.get(client_uuid=stored["client_uuid"]).pk
    assert results[5]["id"] == results[0]["id"]
    assert "household" in results[2]["errors"] and "date" in results[3]["errors"]
    assert "client_uuid" in results[6]["errors"]
    assert "errors" not in results[0] and "errors" not in results[1]
    assert Visit.objects.count() == 2
    household_a1.refresh_from_db()
    assert household_a1.has_dvctt_account is True


PLAIN = {
    "client_uuid": "3f7a41a6-b288-44b6-a553-b78e16e41786",
    "household": 7,
    "date": "2026-11-01",
    "channel": "door_to_door",
    "activities": [{"type": "vneid_activation", "quantity": 2}],
    "note": "  Hướng dẫn\ncả nhà ",
}
SHAPES = [
    PLAIN,
    {**PLAIN, "client_uuid": PLAIN["client_uuid"].upper()},
    {**PLAIN, "client_uuid": PLAIN["client_uuid"].replace("-", "")},
    {**PLAIN, "client_uuid": "not-a-uuid"},
    {**PLAIN, "client_uuid": 12},
    {**PLAIN, "household": None},
    {**PLAIN, "household": "7"},
    {**PLAIN, "household": 7.0},
    {**PLAIN, "household": 7.5},
    {**PLAIN, "household": True},
    {**PLAIN, "household": 2**70},
    {**PLAIN, "area": 3, "team": 4, "member": 5},
    {**PLAIN, "date": "2026-02-30"},
    {**PLAIN, "date": "2026-11-01T10:00:00"},
    {**PLAIN, "date": "01/11/2026"},
    {**PLAIN, "date": "٢٠٢٦-١١-٠١"},
    {**PLAIN, "channel": "DOOR_TO_DOOR"},
    {**PLAIN, "channel": None},
    {**PLAIN, "activities": []},
    {**PLAIN, "activities": "vneid_activation"},
    {**PLAIN, "activities": [{"type": " vneid_activation ", "quantity": "3", "extra": 1}]},
    {**PLAIN, "activities": [{"type": "", "quantity": 1}]},
    {**PLAIN, "activities": [{"type": "x" * 41, "quantity": 1}]},
    {**PLAIN, "activities": [{"type": "a\x00b", "quantity": 1}]},
    {**PLAIN, "activities": [{"type": "vneid_activation", "quantity": 0}]},
    {**PLAIN, "activities": [{"type": "vneid_activation", "quantity": 10001}]},
    {**PLAIN, "activities": [{"type": "vneid_activation", "quantity": 2.0}]},
    {**PLAIN, "activities": [{"type": "vneid_activation", "quantity": False}]},
    {**PLAIN, "activities": [{"type": "vneid_activation"}]},
    {**PLAIN, "activities": ["vneid_activation"]},
    {**PLAIN, "note": None},
    {**PLAIN, "note": "x" * 2001},
    {**PLAIN, "note": "   " + "x" * 2000 + "   "},
    {**PLAIN, "note": "tab\there"},
    {**PLAIN, "note": "surrogate \ud800"},
    {**PLAIN, "unknown": "ignored"},
    {key: value for key, value in PLAIN.items() if key != "note"},
    {key: value for key, value in PLAIN.items() if key != "date"},
    {key: value for key, value in PLAIN.items() if key != "activities"},
    [PLAIN],
    "nonsense",
    None,
]


@pytest.mark.parametrize("data", SHAPES)
def test_a_visits_shape_is_judged_exactly_as_the_serializer_judges_it(data):
    """The plain-visit fast path of offline sync accepts nothing the serializer refuses and returns what it returns."""
    from households.api.serializers import VisitWriteSerializer, visit_shape

    serializer = VisitWriteSerializer(data=data)
    valid = serializer.is_valid()
    validated, errors = visit_shape(data)
    if valid:
        assert errors is None and validated == serializer.validated_data
    else:
        assert validated is None and errors == serializer.errors


def test_bulk_takes_at_most_500_visits(api, team_member_a1, member_a1):
    response = api(team_member_a1).post(BULK, {"visits": [visit() for _ in range(501)]})
    assert response.status_code == 400 and "visits" in response.json()


def test_bulk_of_500_visits_stores_them_all(
    api, team_member_a1, member_a1, household_a1, django_assert_max_num_queries
):
    items = [visit(household_a1) for _ in range(500)]
    with django_assert_max_num_queries(20):
        response = api(team_member_a1).post(BULK, {"visits": items})
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    assert Visit.objects.count() == 500 and VisitActivity.objects.count() == 1000


def test_bulk_writes_are_audited_by_triggers(api, team_member_a1, member_a1, household_a1):
    items = [visit(household_a1) for _ in range(3)]
    api(team_member_a1).post(BULK, {"visits": items})
    visit_events = apps.get_model("households", "VisitEvent").objects.filter(pgh_label="insert")
    activity_events = apps.get_model("households", "VisitActivityEvent").objects.filter(pgh_label="insert")
    household_events = apps.get_model("households", "HouseholdEvent").objects.filter(pgh_label="update")
    assert visit_events.count() == 3 and activity_events.count() == 6
    assert household_events.filter(pgh_obj_id=household_a1.pk, has_vneid=True).count() == 1


def test_a_visits_audit_events_name_who_logged_it_and_only_its_writes_carry_the_context(
    api, team_member_a1, member_a1, household_a1
):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = api(team_member_a1).post(URL, visit(household_a1))
    assert response.status_code == 201
    executed = [q["sql"] for q in captured.captured_queries if "EXECUTE cnscd_" in q["sql"]]
    assert len(executed) == 3  # token with roles; household and own roster in one round trip; the insert
    reads = [sql for sql in executed if "cnscd_visits_store" not in sql]
    assert reads and not any("pghistory" in sql for sql in reads)
    [store] = [sql for sql in executed if "cnscd_visits_store" in sql]
    assert "pghistory.context_id" in store
    event = apps.get_model("households", "VisitEvent").objects.get(pgh_obj_id=response.json()["id"])
    assert event.pgh_context.metadata == {"user": team_member_a1.pk, "url": URL}
    activity_events = apps.get_model("households", "VisitActivityEvent").objects.filter(pgh_context=event.pgh_context)
    assert activity_events.count() == 2


# --- Lists --------------------------------------------------------------------------------------------------


def test_the_visit_list_has_a_constant_number_of_queries(
    api, team_member_a1, member_a1, household_a1, django_assert_max_num_queries
):
    client = api(team_member_a1)
    client.post(BULK, {"visits": [visit(household_a1) for _ in range(40)]})
    with django_assert_max_num_queries(8):
        response = client.get(URL, {"page_size": 40})
    assert len(response.json()["results"]) == 40
    assert all(len(row["activities"]) == 2 for row in response.json()["results"])


def test_filters_and_the_team_month(api, team_member_a1, team_leader_a1, member_a1, leader_member_a1, household_a1):
    api(team_member_a1).post(URL, visit(household_a1, date=timezone.localdate().isoformat()))
    api(team_leader_a1).post(URL, visit(household_a1, date=timezone.localdate().isoformat()))
    client = api(team_member_a1)
    assert client.get(URL, {"mine": "true"}).json()["count"] == 1
    assert client.get(URL, {"household": household_a1.pk}).json()["count"] == 2
    month = client.get(f"{URL}team-month/").json()
    assert month["visits"] == 2 and month["my_visits"] == 1 and month["households"] == 1
    assert {"type": "vneid_activation", "quantity": 4} in month["activities"]


# --- Concurrency ------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_sends_of_the_same_visit_store_one_row(team_member_a1, member_a1, household_a1):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=team_member_a1).key
    data = visit(household_a1)
    statuses: list[int] = []
    barrier = threading.Barrier(10)

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            statuses.append(client.post(URL, data, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 9 + [201]
    assert Visit.objects.filter(client_uuid=data["client_uuid"]).count() == 1
    assert VisitActivity.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_bulk_sends_store_each_visit_once(team_member_a1, member_a1, household_a1):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=team_member_a1).key
    items = [visit(household_a1) for _ in range(20)]
    outcomes: list[list[str]] = []
    barrier = threading.Barrier(10)

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            response = client.post(BULK, {"visits": items}, format="json")
            outcomes.append([r["status"] for r in response.json()["results"]])
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 10
    assert all(set(statuses) <= {"created", "duplicate"} for statuses in outcomes)
    assert Visit.objects.count() == 20 and VisitActivity.objects.count() == 40
    assert Household.objects.get(pk=household_a1.pk).has_vneid is True
