"""Users and role assignments: who sees whom, who manages whom, and one login per name and look-alike."""

import threading

import pytest
from django.db import connection

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


def test_a_commune_officer_cannot_grant_a_role_above_their_own_nor_their_own(
    api, commune_officer_a, commune_a, province
):
    client = api(commune_officer_a)
    assert client.post("/api/v1/users/", new_user("x1", "province_admin", province), format="json").status_code == 400
    response = client.post("/api/v1/users/", new_user("x2", "commune_officer", commune_a), format="json")
    assert response.status_code == 403  # the same role, inside the commune: only the province admin gives it
    assert "dưới vai trò của mình" in response.json()["detail"]
    assert not User.objects.filter(username__in=["x1", "x2"]).exists()


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
    # viewers see no users but themselves (user.view is for officers)
    assert api(viewer).patch(f"/api/v1/users/{commune_officer_b.pk}/", {"full_name": "X"}).status_code == 404


# --- Who manages whom (accounts.services.user_manage_check) -----------------------------------------------------


def _login(username: str, role: str, area) -> User:
    from tests.conftest import PASSWORD

    user = User.objects.create_user(username=username, password=PASSWORD, full_name=username, email=f"{username}@x.vn")
    RoleAssignment.objects.create(user=user, role=role, area=area)
    return user


def _unchanged(user: User, email: str) -> None:
    from tests.conftest import PASSWORD

    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.email == email and user.is_active


def test_a_commune_officer_cannot_reset_the_password_or_email_of_a_peer_officer_nor_deactivate_him(
    api, commune_officer_a, commune_a
):
    peer = _login("xa.a.pho", "commune_officer", commune_a)
    client = api(commune_officer_a)
    for change in ({"password": "Mat-khau-chiem-2026"}, {"email": "ke.gian@x.vn"}, {"is_active": False}):
        response = client.patch(f"/api/v1/users/{peer.pk}/", change, format="json")
        assert response.status_code == 403, change
        assert "dưới vai trò của mình" in response.json()["detail"]
    _unchanged(peer, "xa.a.pho@x.vn")


def test_a_commune_officer_resets_and_deactivates_the_team_logins_of_the_commune(
    api, anonymous, commune_officer_a, team_member_a1, commune_a
):
    client = api(commune_officer_a)
    response = client.patch(f"/api/v1/users/{team_member_a1.pk}/", {"password": "Mat-khau-moi-2026"}, format="json")
    assert response.status_code == 200, response.json()
    login = anonymous.post("/api/v1/auth/token/", {"username": "to.vien.a1", "password": "Mat-khau-moi-2026"})
    assert login.status_code == 200
    assert client.patch(f"/api/v1/users/{team_member_a1.pk}/", {"is_active": False}, format="json").status_code == 200
    viewer = client.post("/api/v1/users/", new_user("xem.xa.a", "viewer", commune_a), format="json")
    assert viewer.status_code == 201  # a viewer on the commune is a team login too


def test_a_commune_officer_cannot_change_a_team_login_who_also_holds_a_role_in_another_commune(
    api, commune_officer_a, team_member_a1, hamlet_b1
):
    RoleAssignment.objects.create(user=team_member_a1, role="team_member", area=hamlet_b1)
    response = api(commune_officer_a).patch(
        f"/api/v1/users/{team_member_a1.pk}/", {"password": "Mat-khau-chiem-2026"}, format="json"
    )
    assert response.status_code == 403
    _unchanged(team_member_a1, "")


def test_a_province_admin_cannot_change_or_create_another_province_admin_only_a_superuser_can(
    api, province_admin, superuser, province
):
    other_admin = _login("tinh.admin.hai", "province_admin", province)
    client = api(province_admin)
    response = client.patch(f"/api/v1/users/{other_admin.pk}/", {"password": "Mat-khau-chiem-2026"}, format="json")
    assert response.status_code == 403
    _unchanged(other_admin, "tinh.admin.hai@x.vn")
    created = client.post("/api/v1/users/", new_user("tinh.admin.ba", "province_admin", province), format="json")
    assert created.status_code == 403 and not User.objects.filter(username="tinh.admin.ba").exists()
    by_root = api(superuser).patch(f"/api/v1/users/{other_admin.pk}/", {"email": "moi@x.vn"}, format="json")
    assert by_root.status_code == 200


def test_a_province_admin_of_another_province_is_a_404_for_the_province_admin(api, province_admin, legacy_province):
    stranger = _login("tinh.khac", "province_admin", legacy_province)
    client = api(province_admin)
    assert client.get(f"/api/v1/users/{stranger.pk}/").status_code == 404
    assert client.patch(f"/api/v1/users/{stranger.pk}/", {"is_active": False}, format="json").status_code == 404
    _unchanged(stranger, "tinh.khac@x.vn")


def test_a_province_admin_manages_the_officers_and_viewers_of_the_province(
    api, province_admin, commune_officer_a, viewer
):
    client = api(province_admin)
    for user in (commune_officer_a, viewer):
        assert client.patch(f"/api/v1/users/{user.pk}/", {"email": "doi@x.vn"}, format="json").status_code == 200


def test_nobody_changes_their_own_roles_or_active_status(api, commune_officer_a, province_admin, hamlet_a1, commune_a):
    response = api(commune_officer_a).patch(
        f"/api/v1/users/{commune_officer_a.pk}/",
        {
            "assignments": [
                {"role": "commune_officer", "area": commune_a.pk},
                {"role": "team_leader", "area": hamlet_a1.pk},
            ]
        },
        format="json",
    )
    assert response.status_code == 403 and "tự đổi" in response.json()["detail"]
    assert commune_officer_a.role_assignments.count() == 1
    own = api(province_admin).patch(f"/api/v1/users/{province_admin.pk}/", {"is_active": False}, format="json")
    assert own.status_code == 403
    province_admin.refresh_from_db()
    assert province_admin.is_active


def test_a_team_member_changes_their_own_name_and_password_the_password_only_with_the_current_one(
    api, anonymous, team_member_a1
):
    from tests.conftest import PASSWORD

    client = api(team_member_a1)
    url = f"/api/v1/users/{team_member_a1.pk}/"
    assert client.patch(url, {"full_name": "Trần Thị Mới"}, format="json").status_code == 200
    without = client.patch(url, {"password": "Mat-khau-moi-2026"}, format="json")
    assert without.status_code == 400 and "mật khẩu hiện tại" in without.json()["current_password"][0]
    wrong = client.patch(url, {"password": "Mat-khau-moi-2026", "current_password": "sai"}, format="json")
    assert wrong.status_code == 400
    team_member_a1.refresh_from_db()
    assert team_member_a1.check_password(PASSWORD) and team_member_a1.full_name == "Trần Thị Mới"
    ok = client.patch(url, {"password": "Mat-khau-moi-2026", "current_password": PASSWORD}, format="json")
    assert ok.status_code == 200
    login = anonymous.post("/api/v1/auth/token/", {"username": "to.vien.a1", "password": "Mat-khau-moi-2026"})
    assert login.status_code == 200


# --- Usernames: one per spelling, case and look-alike (accounts.usernames) --------------------------------------

NOT_AVAILABLE = "Tên đăng nhập này không dùng được: hãy chọn tên khác."


def test_a_username_differing_only_in_case_unicode_form_or_invisible_characters_is_refused(
    api, province_admin, commune_a
):
    client = api(province_admin)
    for name in ("Tinh.Admin", "TINH.ADMIN", "ｔｉｎｈ.ａｄｍｉｎ", "tinh.admin\u200b", " tinh.admin"):
        response = client.post("/api/v1/users/", new_user(name, "commune_officer", commune_a), format="json")
        assert response.status_code == 400, name
        assert response.json() == {"username": [NOT_AVAILABLE]}, name
    assert User.objects.filter(username__iexact="tinh.admin").count() == 1


def test_a_cyrillic_or_greek_look_alike_is_refused_by_the_api_and_by_the_database(api, province_admin, commune_a):
    from django.db import IntegrityError, transaction

    client = api(province_admin)
    for name in ("tinh.admіn", "tіnh.admin", "ΤΙΝΗ.ΑDΜΙΝ", "tinh.аdmin"):  # Cyrillic і, а; Greek capitals
        response = client.post("/api/v1/users/", new_user(name, "commune_officer", commune_a), format="json")
        assert response.status_code == 400, name
        assert "chỉ được gồm chữ cái" in response.json()["username"][0]
        # code that skips the API's checks still meets the unique skeleton
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user(username=name, password="x")
    assert User.objects.filter(username_key="tinh.admin").count() == 1


def test_the_refusal_of_a_taken_name_is_the_same_wherever_its_holder_is(
    api, commune_officer_a, province_admin, team_member_a1, hamlet_a1, legacy_province
):
    _login("nguoi.ngoai.tinh", "viewer", legacy_province)  # another province: invisible to both
    User.objects.create_user(username="chua.co.vai.tro", password="x")  # no role anywhere
    bodies = set()
    for client in (api(commune_officer_a), api(province_admin)):
        for name in ("nguoi.ngoai.tinh", "Chua.Co.Vai.Tro", "to.vien.a1", "xa.a"):
            response = client.post("/api/v1/users/", new_user(name, "team_member", hamlet_a1), format="json")
            assert response.status_code == 400
            bodies.add(response.content)
    assert bodies == {f'{{"username":["{NOT_AVAILABLE}"]}}'.encode()}


def test_vietnamese_usernames_are_accepted_and_other_characters_refused(api, province_admin, commune_a):
    client = api(province_admin)
    ok = client.post("/api/v1/users/", new_user("nguyễn.văn.bình", "commune_officer", commune_a), format="json")
    assert ok.status_code == 201 and ok.json()["username"] == "nguyễn.văn.bình"
    decomposed = "nguye\u0302\u0303n.va\u0306n.bi\u0300nh"  # the same name typed in NFD
    again = client.post("/api/v1/users/", new_user(decomposed, "commune_officer", commune_a), format="json")
    assert again.json() == {"username": [NOT_AVAILABLE]}
    for name in ("tinh admin", "a<b>", "tên/đăng", "ı.dotless", "emoji🙂"):
        response = client.post("/api/v1/users/", new_user(name, "commune_officer", commune_a), format="json")
        assert response.status_code == 400 and "username" in response.json(), name
    assert User.objects.count() == 2


def test_renaming_a_user_to_a_look_alike_of_another_is_refused_and_changes_nothing(
    api, province_admin, commune_officer_a, commune_officer_b
):
    client = api(province_admin)
    response = client.patch(f"/api/v1/users/{commune_officer_b.pk}/", {"username": "XA.A"}, format="json")
    assert response.json() == {"username": [NOT_AVAILABLE]}
    commune_officer_b.refresh_from_db()
    assert commune_officer_b.username == "xa.b"
    own_case = client.patch(f"/api/v1/users/{commune_officer_b.pk}/", {"username": "Xa.B"}, format="json")
    assert own_case.status_code == 200  # its own name in another case is no look-alike of anyone else


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_creates_end_in_one_201_and_400s_never_a_500(province_admin, commune_a):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=province_admin).key
    names = ["dong.thoi", "Dong.Thoi", "DONG.THOI", "dong.thoi", "ｄｏｎｇ.thoi", "dong.thoi"]
    statuses: list[int] = []
    barrier = threading.Barrier(len(names))

    def create(name: str) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            statuses.append(client.post("/api/v1/users/", new_user(name, "commune_officer", commune_a)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [400] * (len(names) - 1)
    assert User.objects.filter(username_key="dong.thoi").count() == 1
