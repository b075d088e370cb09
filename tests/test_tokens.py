"""API tokens and sessions: a new token at each login, an expiry, and revocation by a password change, a
deactivation and the API's logout (the personas of docs/STYLE.md; the token endpoint as a phone calls it)."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"


def login(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def status_with(token: str, path: str = "/api/v1/areas/") -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(path).status_code


def page_session(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": password}).status_code == 302
    assert client.get("/").status_code == 200
    return client


def session_alive(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_each_login_at_the_token_endpoint_issues_a_new_token_and_the_old_one_stops_working(team_member_a1):
    first = login("to.vien.a1")
    second = login("to.vien.a1")
    assert first != second
    assert status_with(first) == 401
    assert status_with(second) == 200
    assert Token.objects.filter(user=team_member_a1).count() == 1


def test_a_token_expires_api_token_ttl_after_its_login_with_a_vietnamese_message(team_member_a1, settings):
    token = login("to.vien.a1")
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=29, hours=23))
    assert status_with(token) == 200  # the default is 30 days
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=30, minutes=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    expired = client.get("/api/v1/areas/")
    assert expired.status_code == 401
    assert expired.json()["detail"] == "Token đã hết hạn: hãy đăng nhập lại."
    assert not Token.objects.filter(key=token).exists()
    settings.API_TOKEN_TTL = timedelta(hours=1)
    fresh = login("to.vien.a1")
    assert status_with(fresh) == 200
    Token.objects.filter(key=fresh).update(created=timezone.now() - timedelta(minutes=61))
    assert status_with(fresh) == 401


def test_a_password_reset_by_the_commune_officer_revokes_the_members_token_and_ends_his_sessions(
    api, commune_officer_a, team_member_a1
):
    token = login("to.vien.a1")
    session = page_session("to.vien.a1")
    response = api(commune_officer_a).patch(
        f"/api/v1/users/{team_member_a1.pk}/", {"password": "Mat-khau-moi-2026"}, format="json"
    )
    assert response.status_code == 200
    assert status_with(token) == 401
    assert not session_alive(session)
    assert status_with(login("to.vien.a1", "Mat-khau-moi-2026")) == 200


def test_a_password_change_by_changepassword_revokes_the_token_and_ends_the_sessions(monkeypatch, team_member_a1):
    token = login("to.vien.a1")
    session = page_session("to.vien.a1")
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass", lambda prompt: "Mat-khau-moi-2026"
    )
    call_command("changepassword", "to.vien.a1", stdout=open("/dev/null", "w"))
    assert status_with(token) == 401
    assert not session_alive(session)


def test_deactivating_a_member_revokes_his_token_and_sessions_and_reactivating_does_not_bring_them_back(
    api, commune_officer_a, team_member_a1
):
    token = login("to.vien.a1")
    session = page_session("to.vien.a1")
    client = api(commune_officer_a)
    url = f"/api/v1/users/{team_member_a1.pk}/"
    assert client.patch(url, {"is_active": False}, format="json").status_code == 200
    assert not Token.objects.filter(user=team_member_a1).exists()
    assert not session_alive(session)
    assert client.patch(url, {"is_active": True}, format="json").status_code == 200
    assert status_with(token) == 401
    assert not session_alive(session)
    # the member logs in again with his password, on the page and the phone
    assert session_alive(page_session("to.vien.a1"))
    assert status_with(login("to.vien.a1")) == 200


def test_a_password_change_leaves_other_users_tokens_and_sessions_alone(api, commune_officer_a, team_member_a1):
    officer_token = login("xa.a")
    officer_session = page_session("xa.a")
    assert (
        api(commune_officer_a)
        .patch(f"/api/v1/users/{team_member_a1.pk}/", {"password": "Mat-khau-moi-2026"}, format="json")
        .status_code
        == 200
    )
    assert status_with(officer_token) == 200
    assert session_alive(officer_session)


def test_the_api_logout_deletes_the_token_and_is_in_the_schema(team_member_a1, anonymous):
    token = login("to.vien.a1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post(LOGOUT_URL).status_code == 204
    assert status_with(token) == 401
    assert client.post(LOGOUT_URL).status_code == 401
    assert anonymous.post(LOGOUT_URL).status_code == 401
    schema = APIClient().get("/api/schema/", {"format": "json"})
    assert LOGOUT_URL in schema.json()["paths"]


def test_the_api_logout_by_a_session_also_ends_that_session(team_member_a1):
    session = page_session("to.vien.a1")
    token = login("to.vien.a1")
    assert session.post(LOGOUT_URL).status_code == 204
    assert not session_alive(session)
    assert status_with(token) == 401


def test_the_page_logout_ends_the_session_but_leaves_the_phones_token(team_member_a1):
    token = login("to.vien.a1")
    session = page_session("to.vien.a1")
    session.post("/logout/")
    assert not session_alive(session)
    assert status_with(token) == 200  # the phone's API login is its own; it ends with the API's logout


@pytest.mark.django_db(transaction=True)
def test_simultaneous_logins_of_one_user_all_succeed_and_leave_one_working_token(team_member_a1):
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def log_in() -> None:
        try:
            barrier.wait()
            response = APIClient().post(TOKEN_URL, {"username": "to.vien.a1", "password": PASSWORD}, format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=log_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    (token,) = Token.objects.filter(user=team_member_a1)
    assert status_with(token.key) == 200
