"""Pages around the visit log, through HTTP: the logout warning's script on every page."""

import pytest

pytestmark = pytest.mark.django_db


def test_every_page_of_a_logged_in_user_loads_the_logout_warning(client, commune_officer_a):
    client.force_login(commune_officer_a)
    for url in ("/", "/teams/", "/reports/", "/visits/log/"):
        html = client.get(url).content.decode()
        assert "households/logout_guard.js" in html, url
        assert f'data-user="{commune_officer_a.username}"' in html
        assert "Còn %(n)s lượt hỗ trợ chưa đồng bộ" in html  # the count goes in on the phone


def test_the_login_page_has_no_logout_warning(client):
    assert "logout_guard.js" not in client.get("/login/").content.decode()


def test_the_service_worker_keeps_the_logout_warning_for_offline_use(client):
    assert "households/logout_guard.js" in client.get("/sw.js").content.decode()
