"""Members: phone and citizen-ID rules, one leader per team, one team per person, scope, query counts, pages."""

import pytest

from members.models import Member, TrainingSession
from members.validators import normalize_phone


def member(team, **extra):
    data = {"team": team.pk, "full_name": "Nguyễn Văn An", "gender": "male", "organization": "youth_union"}
    return data | extra


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0387.654.321", "0387654321"),
        ("912345678", "0912345678"),
    ],
)
def test_vietnamese_mobile_numbers_are_normalised(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["0212345678", "091234567", "09123456789", "01234567890", "abc", "0612345678"])
def test_numbers_that_are_not_vietnamese_mobiles_are_refused(api, commune_officer_a, team_a1, raw):
    response = api(commune_officer_a).post("/api/v1/members/", member(team_a1, phone=raw))
    assert response.status_code == 400 and "di động" in response.json()["phone"][0]


def test_a_commune_officer_adds_a_member_with_every_field(api, commune_officer_a, team_a1, team_member_a1):
    response = api(commune_officer_a).post(
        "/api/v1/members/",
        member(
            team_a1,
            phone="+84912345678",
            citizen_id="080123456789",
            birth_year=1998,
            role="leader",
            joined_on="2024-03-01",
            trained_on="2024-05-01",
            user=team_member_a1.pk,
        ),
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["phone"] == "0912345678" and data["citizen_id_last4"] == "6789" and "citizen_id" not in data
    assert data["is_active"] and data["user"] == team_member_a1.pk and data["trained_on"] == "2024-05-01"
    stored = Member.objects.get(pk=data["id"])
    assert "080123456789" not in stored.citizen_id_hash and len(stored.citizen_id_hash) == 64
    assert api(commune_officer_a).get(f"/api/v1/teams/{team_a1.pk}/").json()["leader"] == data["id"]


def test_a_second_active_leader_is_refused_with_a_clear_message(api, commune_officer_a, team_a1):
    client = api(commune_officer_a)
    assert client.post("/api/v1/members/", member(team_a1, role="leader", phone="0912345678")).status_code == 201
    response = client.post("/api/v1/members/", member(team_a1, full_name="Trần B", role="leader", phone="0912345679"))
    assert response.status_code == 400
    assert "đã có tổ trưởng" in response.json()["role"][0] and "Nguyễn Văn An" in response.json()["role"][0]


def test_the_same_person_cannot_be_active_in_two_teams(api, commune_officer_a, team_a1, team_a2):
    client = api(commune_officer_a)
    first = client.post("/api/v1/members/", member(team_a1, phone="0912345678", citizen_id="080123456789"))
    assert first.status_code == 201
    by_phone = client.post("/api/v1/members/", member(team_a2, phone="+84 912 345 678"))
    assert by_phone.status_code == 400 and "Tổ CNSCĐ Ấp A1" in by_phone.json()["phone"][0]
    by_id = client.post("/api/v1/members/", member(team_a2, phone="0987654321", citizen_id="080123456789"))
    assert by_id.status_code == 400 and "citizen_id" in by_id.json()
    # once retired, the person may join another team
    assert client.post(f"/api/v1/members/{first.json()['id']}/retire/", {"left_on": "2025-01-01"}).status_code == 200
    assert client.post("/api/v1/members/", member(team_a2, phone="0912345678")).status_code == 201


def test_the_database_also_refuses_a_second_leader(team_a1):
    from django.db import IntegrityError, transaction

    Member.objects.create(team=team_a1, full_name="A", gender="male", organization="police", role="leader")
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(team=team_a1, full_name="B", gender="male", organization="police", role="leader")


def test_a_team_leader_keeps_their_own_roster_only(api, team_leader_a1, team_a1, team_a2):
    client = api(team_leader_a1)
    created = client.post("/api/v1/members/", member(team_a1, phone="0912345678"))
    assert created.status_code == 201
    assert client.patch(f"/api/v1/members/{created.json()['id']}/", {"trained_on": "2025-02-02"}).status_code == 200
    other = Member.objects.create(team=team_a2, full_name="C", gender="male", organization="police")
    assert client.get(f"/api/v1/members/{other.pk}/").status_code == 404
    assert client.post("/api/v1/members/", member(team_a2, phone="0912345670")).status_code == 400


def test_officer_a_cannot_see_or_touch_commune_b_members(api, commune_officer_a, team_b1):
    other = Member.objects.create(team=team_b1, full_name="D", gender="male", organization="police")
    client = api(commune_officer_a)
    assert client.get("/api/v1/members/").json()["count"] == 0
    assert client.get(f"/api/v1/members/{other.pk}/").status_code == 404
    assert client.patch(f"/api/v1/members/{other.pk}/", {"full_name": "x"}).status_code == 404
    assert client.post(f"/api/v1/members/{other.pk}/retire/", {"left_on": "2025-01-01"}).status_code == 404
    assert client.post("/api/v1/members/", member(team_b1)).status_code == 400


def test_viewers_and_team_members_read_but_cannot_write(api, viewer, team_member_a1, team_a1):
    target = Member.objects.create(team=team_a1, full_name="E", gender="male", organization="police")
    for user in (viewer, team_member_a1):
        client = api(user)
        assert client.get(f"/api/v1/members/{target.pk}/").status_code == 200
        assert client.patch(f"/api/v1/members/{target.pk}/", {"full_name": "x"}).status_code == 403
        assert client.post("/api/v1/members/", member(team_a1)).status_code == 403


def test_the_member_list_has_a_constant_number_of_queries(api, province_admin, team_a1, django_assert_max_num_queries):
    for i in range(30):
        Member.objects.create(
            team=team_a1, full_name=f"M{i}", gender="male", organization="police", phone=f"09123456{i:02d}"
        )
    client = api(province_admin)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/members/", {"page_size": 100, "area": team_a1.area.parent_id})
    assert response.json()["count"] == 30


def test_training_sessions_record_attendees_inside_the_scope(api, commune_officer_a, commune_a, team_a1, team_b1):
    mine = Member.objects.create(team=team_a1, full_name="F", gender="male", organization="police")
    theirs = Member.objects.create(team=team_b1, full_name="G", gender="male", organization="police")
    client = api(commune_officer_a)
    payload = {"area": commune_a.pk, "held_on": "2025-03-01", "topic": "An toàn thông tin", "organizer": "Sở KH&CN"}
    assert client.post("/api/v1/training-sessions/", payload | {"attendees": [theirs.pk]}).status_code == 400
    response = client.post("/api/v1/training-sessions/", payload | {"attendees": [mine.pk]})
    assert response.status_code == 201, response.json()
    assert TrainingSession.objects.get().attendees.get() == mine
    assert client.get("/api/v1/training-sessions/", {"member": mine.pk}).json()["count"] == 1


def test_member_changes_are_audited(api, commune_officer_a, team_a1):
    client = api(commune_officer_a)
    pk = client.post("/api/v1/members/", member(team_a1, phone="0912345678")).json()["id"]
    client.patch(f"/api/v1/members/{pk}/", {"role": "deputy"})
    assert Member.pgh_event_model.objects.filter(pgh_obj_id=pk).count() == 2


class TestPages:
    def test_add_edit_and_retire_a_member(self, client, commune_officer_a, team_a1):
        client.force_login(commune_officer_a)
        form = {"full_name": "Lê Thị Hoa", "gender": "female", "organization": "women_union", "role": "leader"}
        response = client.post(f"/teams/{team_a1.pk}/members/new/", form | {"phone": "0912 345 678"})
        assert response.status_code == 302
        hoa = Member.objects.get(full_name="Lê Thị Hoa")
        assert hoa.phone == "0912345678"
        page = client.get(f"/teams/{team_a1.pk}/").content.decode()
        assert "Lê Thị Hoa" in page
        second = client.post(f"/teams/{team_a1.pk}/members/new/", form | {"full_name": "B", "phone": "0912345679"})
        assert second.status_code == 200 and "đã có tổ trưởng" in second.content.decode()
        edit = client.post(f"/teams/members/{hoa.pk}/edit/", form | {"phone": "0912345670", "role": "deputy"})
        assert edit.status_code == 302
        assert client.post(f"/teams/members/{hoa.pk}/retire/", {"left_on": "2025-06-01"}).status_code == 302
        hoa.refresh_from_db()
        assert hoa.role == "deputy" and hoa.phone == "0912345670" and str(hoa.left_on) == "2025-06-01"

    def test_member_pages_out_of_scope_are_404(self, client, commune_officer_a, team_b1):
        other = Member.objects.create(team=team_b1, full_name="H", gender="male", organization="police")
        client.force_login(commune_officer_a)
        assert client.get(f"/teams/members/{other.pk}/edit/").status_code == 404
        assert client.post(f"/teams/{team_b1.pk}/members/new/", {}).status_code == 404
