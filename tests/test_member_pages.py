# ruff: noqa: F811  (fixtures shared with test_households are imported, then used as arguments)
"""Pages around the visit log, through HTTP: where a login lands, the home page's link to the visit log, the
logout warning's script on every page."""

import json
import re
from datetime import date

import pytest

from members.models import Member
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_units")]


def _login(client, user, next_url: str | None = None):
    url = "/login/" if next_url is None else f"/login/?next={next_url}"
    return client.post(url, {"username": user.username, "password": PASSWORD})


# --- Where a login lands ----------------------------------------------------------------------------------------


def test_a_team_member_on_a_roster_lands_on_the_visit_log(client, member_a1):
    response = _login(client, member_a1.user)
    assert response.status_code == 302 and response["Location"] == "/visits/log/"
    assert client.get(response["Location"]).status_code == 200


def test_an_explicit_next_wins_over_the_visit_log(client, member_a1):
    assert _login(client, member_a1.user, "/teams/")["Location"] == "/teams/"


def test_an_unsafe_next_is_ignored_and_the_member_still_lands_on_the_visit_log(client, member_a1):
    assert _login(client, member_a1.user, "https://evil.example/")["Location"] == "/visits/log/"


def test_a_member_already_logged_in_who_opens_the_login_page_goes_to_the_visit_log(client, member_a1):
    client.force_login(member_a1.user)
    assert client.get("/login/")["Location"] == "/visits/log/"


def test_a_member_who_left_the_team_lands_home(client, member_a1):
    Member.objects.filter(pk=member_a1.pk).update(left_on=date(2025, 1, 1))
    assert _login(client, member_a1.user)["Location"] == "/"


def test_users_not_on_a_roster_land_home(client, commune_officer_a, team_member_a1, viewer):
    for user in (commune_officer_a, team_member_a1, viewer):
        client.logout()
        assert _login(client, user)["Location"] == "/", user


def test_home_shows_a_member_the_way_to_log_a_visit(client, member_a1, commune_officer_a):
    client.force_login(member_a1.user)
    html = client.get("/").content.decode()
    assert '<a class="button primary cta" href="/visits/log/">Ghi nhận lượt hỗ trợ</a>' in html
    client.force_login(commune_officer_a)
    assert "button primary cta" not in client.get("/").content.decode()


# --- The logout warning -----------------------------------------------------------------------------------------


def test_every_page_of_a_logged_in_user_loads_the_logout_warning(client, commune_officer_a):
    client.force_login(commune_officer_a)
    for url in ("/", "/teams/", "/reports/", "/visits/log/"):
        html = client.get(url).content.decode()
        assert "households/logout_guard.js" in html, url
        assert f'data-user="{commune_officer_a.username}"' in html
        assert "Còn %(n)s lượt hỗ trợ chưa đồng bộ" in html  # the count goes in on the phone


def test_the_login_page_has_no_logout_warning_and_forgets_another_users_households(client):
    html = client.get("/login/").content.decode()
    assert 'class="logout"' not in html and "lượt hỗ trợ chưa đồng bộ" not in html
    # logout_guard.js also removes the households cached for someone else when a different user logs in
    assert "households/logout_guard.js" in html and "data-login" in html


def test_the_service_worker_keeps_every_file_the_visit_log_loads_for_offline_use(client, member_a1):
    client.force_login(member_a1.user)
    page = client.get("/visits/log/").content.decode()
    loaded = set(re.findall(r'<script[^>]* src="([^"]+)"', page)) | set(re.findall(r'<link[^>]* href="([^"]+)"', page))
    worker = client.get("/sw.js").content.decode()
    kept = set(json.loads(re.search(r"var ASSETS = (\[.*?\]);", worker).group(1)))
    assert "/static/households/logout_guard.js" in loaded and "/static/vendor/htmx.min.js" in loaded
    assert loaded - kept == set()


# --- Files of waiting visits ------------------------------------------------------------------------------------


def test_the_visit_log_can_tell_in_vietnamese_that_a_file_belongs_to_another_account(client, member_a1):
    client.force_login(member_a1.user)
    strings = client.get("/visits/log/").context["strings"]  # handed to the script as JSON
    assert strings["otherUser"].startswith("Tệp này chứa các lượt hỗ trợ của tài khoản %(user)s.")
