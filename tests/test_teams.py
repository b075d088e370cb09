"""Teams: founding, one active team per hamlet, dissolving, warnings, scope (404 outside), pages."""

from members.models import Member
from teams.models import Team

_phones = iter(range(10_000_000))


def add_members(team, n, leader=True):
    for i in range(n):
        Member.objects.create(
            team=team,
            full_name=f"Thành viên {i}",
            gender="male",
            organization="youth_union",
            phone=f"091{next(_phones):07d}",
            role="leader" if leader and i == 0 else "member",
        )


def test_a_commune_officer_founds_a_team_on_a_hamlet(api, commune_officer_a, hamlet_a1):
    response = api(commune_officer_a).post(
        "/api/v1/teams/",
        {
            "area": hamlet_a1.pk,
            "name": "Tổ CNSCĐ Ấp A1",
            "established_on": "2024-03-01",
            "decision_number": "123/QĐ-UBND",
            "decision_issuer": "UBND xã",
            "zalo_group_url": "https://zalo.me/g/abc",
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "active" and data["member_count"] == 0 and data["leader"] is None
    assert data["warnings"]  # fewer than 3 members, no leader
    assert set(data) >= {"id", "area", "name", "established_on", "decision_number", "status", "zalo_group_url"}
    assert Team.pgh_event_model.objects.filter(pgh_obj_id=data["id"]).count() == 1


def test_a_second_active_team_on_a_hamlet_is_refused_with_a_clear_message(api, commune_officer_a, team_a1):
    response = api(commune_officer_a).post(
        "/api/v1/teams/", {"area": team_a1.area_id, "name": "Tổ thứ hai", "established_on": "2024-05-01"}
    )
    assert response.status_code == 400
    assert "Tổ CNSCĐ Ấp A1" in response.json()["area"][0]


def test_a_team_cannot_be_founded_on_a_province(api, province_admin, province):
    response = api(province_admin).post(
        "/api/v1/teams/", {"area": province.pk, "name": "Tổ tỉnh", "established_on": "2024-05-01"}
    )
    assert response.status_code == 400 and "area" in response.json()


def test_dissolving_a_team_retires_its_members_and_frees_the_hamlet(api, commune_officer_a, team_a1):
    add_members(team_a1, 3)
    client = api(commune_officer_a)
    response = client.post(f"/api/v1/teams/{team_a1.pk}/dissolve/", {"dissolved_on": "2025-01-31"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "dissolved" and response.json()["member_count"] == 0
    assert not Member.objects.filter(team=team_a1, left_on__isnull=True).exists()
    again = client.post("/api/v1/teams/", {"area": team_a1.area_id, "name": "Tổ mới", "established_on": "2025-02-01"})
    assert again.status_code == 201


def test_warnings_for_too_few_or_too_many_active_members(api, commune_officer_a, team_a1, hamlet_a2):
    client = api(commune_officer_a)
    add_members(team_a1, 2)
    assert any("ít hơn 3" in w for w in client.get(f"/api/v1/teams/{team_a1.pk}/").json()["warnings"])
    add_members(Team.objects.create(area=hamlet_a2, name="Tổ A2", established_on="2024-01-01"), 13)
    big = client.get("/api/v1/teams/", {"area": hamlet_a2.pk}).json()["results"][0]
    assert big["member_count"] == 13 and any("nhiều hơn 12" in w for w in big["warnings"])
    add_members(team_a1, 0)
    Member.objects.create(team=team_a1, full_name="X", gender="female", organization="police", phone="0987654321")
    assert client.get(f"/api/v1/teams/{team_a1.pk}/").json()["warnings"] == []


def test_the_area_filter_matches_the_whole_subtree(api, province_admin, team_a1, team_b1, commune_a, province):
    client = api(province_admin)
    assert [t["id"] for t in client.get("/api/v1/teams/", {"area": commune_a.pk}).json()["results"]] == [team_a1.pk]
    assert client.get("/api/v1/teams/", {"area": province.pk}).json()["count"] == 2


def test_officer_a_cannot_see_or_touch_commune_b_teams(api, commune_officer_a, team_a1, team_b1, hamlet_b1):
    client = api(commune_officer_a)
    assert [t["id"] for t in client.get("/api/v1/teams/").json()["results"]] == [team_a1.pk]
    assert client.get(f"/api/v1/teams/{team_b1.pk}/").status_code == 404
    assert client.patch(f"/api/v1/teams/{team_b1.pk}/", {"name": "x"}).status_code == 404
    assert client.post(f"/api/v1/teams/{team_b1.pk}/dissolve/", {"dissolved_on": "2025-01-01"}).status_code == 404
    assert client.delete(f"/api/v1/teams/{team_b1.pk}/").status_code == 404
    response = client.post("/api/v1/teams/", {"area": hamlet_b1.pk, "name": "x", "established_on": "2024-01-01"})
    assert response.status_code == 400 and "area" in response.json()


def test_team_leaders_and_viewers_read_teams_but_cannot_change_them(api, team_leader_a1, viewer, team_a1):
    for user in (team_leader_a1, viewer):
        client = api(user)
        assert client.get(f"/api/v1/teams/{team_a1.pk}/").status_code == 200
        assert client.patch(f"/api/v1/teams/{team_a1.pk}/", {"name": "x"}).status_code == 403
    assert (
        api(viewer)
        .post("/api/v1/teams/", {"area": team_a1.area_id, "name": "x", "established_on": "2024-01-01"})
        .status_code
        == 403
    )


def test_the_team_list_has_a_constant_number_of_queries(api, province_admin, commune_a, django_assert_max_num_queries):
    from areas.services import hamlet_create

    for i in range(15):
        add_members(
            Team.objects.create(
                area=hamlet_create(parent=commune_a, name=f"Ấp {i}", kind="Ấp"),
                name=f"Tổ {i}",
                established_on="2024-01-01",
            ),
            3,
        )
    client = api(province_admin)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/teams/", {"page_size": 50})
    assert response.json()["count"] == 15 and all(
        t["member_count"] == 3 and t["leader"] for t in response.json()["results"]
    )


class TestPages:
    def test_the_commune_officer_sees_teams_with_counts_and_warnings(self, client, commune_officer_a, team_a1, team_b1):
        add_members(team_a1, 2)
        client.force_login(commune_officer_a)
        page = client.get("/teams/").content.decode()
        assert "Tổ CNSCĐ Ấp A1" in page and "Tổ CNSCĐ Ấp B1" not in page
        assert "ít hơn 3" in page

    def test_a_team_page_out_of_scope_is_404(self, client, commune_officer_a, team_b1):
        client.force_login(commune_officer_a)
        assert client.get(f"/teams/{team_b1.pk}/").status_code == 404
        assert client.post(f"/teams/{team_b1.pk}/dissolve/", {"dissolved_on": "2025-01-01"}).status_code == 404

    def test_found_and_dissolve_a_team_from_the_pages(self, client, commune_officer_a, hamlet_a1):
        client.force_login(commune_officer_a)
        response = client.post(
            "/teams/new/", {"area": hamlet_a1.pk, "name": "Tổ CNSCĐ Ấp A1", "established_on": "2024-03-01"}
        )
        team = Team.objects.get(area=hamlet_a1)
        assert response.status_code == 302 and response["Location"] == f"/teams/{team.pk}/"
        page = client.get(f"/teams/{team.pk}/").content.decode()
        assert "Tổ CNSCĐ Ấp A1" in page and "Thêm thành viên" in page
        duplicate = client.post("/teams/new/", {"area": hamlet_a1.pk, "name": "Tổ 2", "established_on": "2024-03-01"})
        assert duplicate.status_code == 200 and "đã có một tổ đang hoạt động" in duplicate.content.decode()
        assert client.post(f"/teams/{team.pk}/dissolve/", {"dissolved_on": "2025-01-01"}).status_code == 302
        team.refresh_from_db()
        assert team.status == "dissolved"

    def test_a_viewer_cannot_found_a_team(self, client, viewer, hamlet_a1):
        client.force_login(viewer)
        assert client.get("/teams/new/").status_code == 403
