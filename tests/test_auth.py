"""Logins: token auth, the Vietnamese login page, and the brute-force lockout (5 failures per user and IP)."""

from django.test import Client

from tests.conftest import PASSWORD


def test_a_token_from_the_token_endpoint_authenticates_api_calls(anonymous, commune_officer_a):
    response = anonymous.post("/api/v1/auth/token/", {"username": "xa.a", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.get("/api/v1/users/").status_code == 200


def test_an_unknown_or_deactivated_users_token_is_refused_and_a_role_change_applies_at_once(
    api, anonymous, commune_officer_a, commune_officer_b, commune_b
):
    from accounts.models import Role, RoleAssignment

    anonymous.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert anonymous.get("/api/v1/users/").status_code == 401
    client = api(commune_officer_a)
    assert client.get(f"/api/v1/areas/{commune_b.pk}/").status_code == 404
    # the roles come with the token in one query: a new role counts on the next request
    RoleAssignment.objects.create(user=commune_officer_a, role=Role.COMMUNE_OFFICER, area=commune_b)
    assert client.get(f"/api/v1/areas/{commune_b.pk}/").status_code == 200
    commune_officer_a.is_active = False
    commune_officer_a.save()
    refused = client.get("/api/v1/users/")
    assert refused.status_code == 401


def test_a_wrong_password_is_400(anonymous, commune_officer_a):
    response = anonymous.post("/api/v1/auth/token/", {"username": "xa.a", "password": "sai"}, format="json")
    assert response.status_code == 400


def test_the_token_endpoint_locks_out_after_five_failures_per_user_and_ip(anonymous, commune_officer_a):
    for _ in range(5):
        anonymous.post("/api/v1/auth/token/", {"username": "xa.a", "password": "sai"}, format="json")
    locked = anonymous.post("/api/v1/auth/token/", {"username": "xa.a", "password": PASSWORD}, format="json")
    assert locked.status_code == 429
    assert "bị khóa 15 phút" in locked.json()["detail"]
    # the same user from another IP address is not locked out
    other = anonymous.post(
        "/api/v1/auth/token/", {"username": "xa.a", "password": PASSWORD}, format="json", REMOTE_ADDR="10.1.2.3"
    )
    assert other.status_code == 200


def test_the_login_page_is_vietnamese_and_logs_in(commune_officer_a):
    client = Client()
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en")  # a phone set to English
    assert page.status_code == 200
    assert "Đăng nhập" in page.content.decode() and "Mật khẩu" in page.content.decode()
    response = client.post("/login/", {"username": "xa.a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/").content.decode()
    assert "Cán bộ xã" in home


def test_the_login_page_locks_out_after_five_failures(commune_officer_a):
    client = Client()
    for _ in range(4):
        response = client.post("/login/", {"username": "xa.a", "password": "sai"})
        assert response.status_code == 200 and "Đăng nhập" in response.content.decode()
    fifth = client.post("/login/", {"username": "xa.a", "password": "sai"})
    assert fifth.status_code == 429
    locked = client.post("/login/", {"username": "xa.a", "password": PASSWORD})
    assert locked.status_code == 429
    assert "bị khóa" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_english_is_available_when_chosen(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert "Password" in client.get("/login/").content.decode()
