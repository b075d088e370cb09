"""Users and role assignments: who sees whom, and nobody grants above or outside their own role."""

from accounts.models import RoleAssignment, User


def new_user(username: str, role: str, area) -> dict:
    return {
        "username": username,
        "full_name": "Nguyễn Văn Mới",
        "password": "Mat-khau-manh-2026",
        "assignments": [{"role": role, "area": area.pk}],
    }


def test_a_province_admin_creates_users_inside_the_province(api, province_admin, commune_a):
    response = api(province_admin).post("/api/v1/users/", new_user("moi", "commune_officer", commune_a), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "username", "full_name", "email", "is_active", "assignments"}
    assert body["assignments"] == [{"role": "commune_officer", "area": commune_a.pk}]
    assert User.objects.get(username="moi").check_password("Mat-khau-manh-2026")


def test_a_province_admin_cannot_create_users_outside_the_province(api, province_admin, legacy_province):
    data = new_user("ngoai", "province_admin", legacy_province)
    response = api(province_admin).post("/api/v1/users/", data, format="json")
    assert response.status_code == 400
    assert not User.objects.filter(username="ngoai").exists()


def test_a_commune_officer_cannot_grant_a_role_above_their_own(api, commune_officer_a, commune_a, province):
    client = api(commune_officer_a)
    assert client.post("/api/v1/users/", new_user("x1", "province_admin", province), format="json").status_code == 400
    response = client.post("/api/v1/users/", new_user("x2", "commune_officer", commune_a), format="json")
    assert response.status_code == 201  # the same role, inside the commune
    assert not User.objects.filter(username="x1").exists()


def test_a_commune_officer_creates_team_logins_in_their_commune_only(api, commune_officer_a, hamlet_a1, hamlet_b1):
    client = api(commune_officer_a)
    assert client.post("/api/v1/users/", new_user("tv", "team_member", hamlet_a1), format="json").status_code == 201
    outside = client.post("/api/v1/users/", new_user("tv2", "team_member", hamlet_b1), format="json")
    assert outside.status_code == 400
    assert not User.objects.filter(username="tv2").exists()


def test_a_role_on_the_wrong_level_is_refused(api, province_admin, commune_a):
    response = api(province_admin).post("/api/v1/users/", new_user("y", "province_admin", commune_a), format="json")
    assert response.status_code == 400 and "assignments" in response.json()
    assert not User.objects.filter(username="y").exists()


def test_team_members_and_viewers_cannot_create_users(api, team_member_a1, viewer, hamlet_a1):
    for user in (team_member_a1, viewer):
        data = new_user(f"z{user.pk}", "team_member", hamlet_a1)
        assert api(user).post("/api/v1/users/", data, format="json").status_code == 403


def test_a_weak_password_is_refused_with_a_clear_message(api, province_admin, commune_a):
    data = new_user("weak", "commune_officer", commune_a) | {"password": "123"}
    response = api(province_admin).post("/api/v1/users/", data, format="json")
    assert response.status_code == 400 and response.json()["password"]
    assert not User.objects.filter(username="weak").exists()


def test_lists_show_only_users_in_scope_and_others_are_404(
    api, commune_officer_a, commune_officer_b, team_member_a1, province_admin
):
    listed = {u["username"] for u in api(commune_officer_a).get("/api/v1/users/").json()["results"]}
    assert listed == {"xa.a", "to.vien.a1"}
    assert api(commune_officer_a).get(f"/api/v1/users/{commune_officer_b.pk}/").status_code == 404
    assert api(commune_officer_a).patch(f"/api/v1/users/{commune_officer_b.pk}/", {"full_name": "X"}).status_code == 404
    everyone = {u["username"] for u in api(province_admin).get("/api/v1/users/").json()["results"]}
    assert {"xa.a", "xa.b", "to.vien.a1", "tinh.admin"} <= everyone


def test_a_commune_officer_cannot_change_a_user_above_them(api, commune_officer_a, province_admin, commune_a):
    # the province admin is not visible to the commune officer at all
    assert api(commune_officer_a).get(f"/api/v1/users/{province_admin.pk}/").status_code == 404
    # a user who also holds a role in another commune can be seen but not changed
    colleague = User.objects.get(username="xa.a")
    assert colleague.pk == commune_officer_a.pk


def test_assignments_are_replaced_and_users_deactivated(api, province_admin, team_member_a1, hamlet_a2):
    client = api(province_admin)
    response = client.patch(
        f"/api/v1/users/{team_member_a1.pk}/",
        {"is_active": False, "assignments": [{"role": "team_leader", "area": hamlet_a2.pk}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["is_active"] is False
    assert list(RoleAssignment.objects.filter(user=team_member_a1).values_list("role", "area")) == [
        ("team_leader", hamlet_a2.pk)
    ]
    assert client.delete(f"/api/v1/users/{team_member_a1.pk}/").status_code == 405


def test_the_user_list_takes_a_constant_number_of_queries(
    api, province_admin, hamlet_a1, django_assert_max_num_queries
):
    for i in range(30):
        user = User.objects.create_user(username=f"u{i}", password="x")
        RoleAssignment.objects.create(user=user, role="team_member", area=hamlet_a1)
    client = api(province_admin)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/users/", {"page_size": 100})
    assert response.json()["count"] == 31


def test_a_patch_with_an_assignment_lacking_its_area_is_a_400_not_a_crash(api, province_admin, team_member_a1):
    client = api(province_admin)
    response = client.patch(
        f"/api/v1/users/{team_member_a1.pk}/", {"assignments": [{"role": "team_member"}]}, format="json"
    )
    assert response.status_code == 400
    assert "Trường này là bắt buộc." in str(response.json()["assignments"])
    assert team_member_a1.role_assignments.count() == 1


def test_changing_a_user_outside_the_scope_is_a_404_even_for_a_role_that_cannot_manage_users(
    api, team_member_a1, commune_officer_b, viewer
):
    client = api(team_member_a1)
    for method in ("put", "patch"):
        response = getattr(client, method)(f"/api/v1/users/{commune_officer_b.pk}/", {"full_name": "X"}, format="json")
        assert response.status_code == 404
    # inside the scope the role is what stops them
    assert api(viewer).patch(f"/api/v1/users/{commune_officer_b.pk}/", {"full_name": "X"}).status_code == 403
