# ruff: noqa: F811  (fixtures shared with test_households are imported, then used as arguments)
"""The printable household checklist's pages: who may use them (not viewers), the menu link, and a hamlet picker
that copes with a province of thousands of hamlets (by commune, by name typed with or without diacritics, a page at
a time), always inside the user's scope."""

import pytest

from accounts.models import Role, RoleAssignment
from areas import services as area_services
from households.models import ExportLog
from tests.test_households import household_a1  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_units")]

PICK = "/households/checklist/"
NAV_LINK = f'<a href="{PICK}">Danh sách kiểm tra</a>'


def _names(response) -> list[str]:
    return [hamlet.name for hamlet in response.context["page"].object_list]


def test_a_viewer_is_refused_the_picker_and_the_checklist_and_has_no_link(client, viewer, hamlet_a1, household_a1):
    client.force_login(viewer)
    assert client.get(PICK).status_code == 403
    response = client.get(f"{PICK}{hamlet_a1.pk}/")
    assert response.status_code == 403 and "Chủ hộ A1-001" not in response.content.decode()
    assert not ExportLog.objects.exists()
    assert NAV_LINK not in client.get("/").content.decode()


def test_a_user_without_a_role_is_refused_and_has_no_link(client, django_user_model):
    user = django_user_model.objects.create_user(username="khong.vai.tro", password="x")
    client.force_login(user)
    assert client.get(PICK).status_code == 403
    assert NAV_LINK not in client.get("/").content.decode()


def test_the_menu_leads_officers_and_team_leaders_to_the_checklists(
    client, team_leader_a1, commune_officer_a, province_admin, superuser
):
    for user in (team_leader_a1, commune_officer_a, province_admin, superuser):
        client.force_login(user)
        assert NAV_LINK in client.get("/teams/").content.decode(), user
        assert client.get(PICK).status_code == 200


def test_a_team_member_is_refused_the_checklists_which_are_for_officers_and_leaders(
    client, team_member_a1, hamlet_a1, household_a1
):
    client.force_login(team_member_a1)
    assert NAV_LINK not in client.get("/teams/").content.decode()
    assert client.get(PICK).status_code == 403
    assert client.get(f"{PICK}{hamlet_a1.pk}/").status_code == 403


def test_a_viewer_who_is_also_a_team_leader_gets_the_checklists_of_the_team_hamlet_only(
    client, viewer, hamlet_a1, hamlet_b1
):
    RoleAssignment.objects.create(user=viewer, role=Role.TEAM_LEADER, area=hamlet_a1)
    client.force_login(viewer)
    assert _names(client.get(PICK)) == ["Ấp A1"]
    assert client.get(f"{PICK}{hamlet_a1.pk}/").status_code == 200
    assert client.get(f"{PICK}{hamlet_b1.pk}/").status_code == 404  # in the viewer scope only


def test_a_team_leader_sees_their_hamlet_without_a_commune_filter(client, team_leader_a1, hamlet_a1, hamlet_a2):
    client.force_login(team_leader_a1)
    response = client.get(PICK)
    assert _names(response) == ["Ấp A1"]
    assert 'name="commune"' not in response.content.decode()  # one commune: nothing to choose
    assert 'name="q"' in response.content.decode()


def test_the_search_ignores_diacritics_and_case_and_matches_the_commune_name_too(
    client, commune_officer_a, commune_a, hamlet_a1
):
    for name in ("Ấp Đông Hòa", "Ấp Tây Hòa", "Khu phố 10", "Khu phố 3"):
        area_services.hamlet_create(parent=commune_a, name=name, kind="Ấp")
    client.force_login(commune_officer_a)
    assert _names(client.get(PICK, {"q": "dong hoa"})) == ["Ấp Đông Hòa"]
    assert _names(client.get(PICK, {"q": "HÒA"})) == ["Ấp Đông Hòa", "Ấp Tây Hòa"]
    commune_word = commune_a.name.split()[-1]
    assert _names(client.get(PICK, {"q": f"{commune_word} pho 3"})) == ["Khu phố 3"]
    assert _names(client.get(PICK, {"q": "khu pho"})) == ["Khu phố 3", "Khu phố 10"]  # numbers sort as numbers
    response = client.get(PICK, {"q": "không có"})
    assert _names(response) == [] and "Không có thôn/ấp nào phù hợp." in response.content.decode()


def test_a_province_admin_filters_by_commune(client, province_admin, commune_a, commune_b, hamlet_a1, hamlet_b1):
    client.force_login(province_admin)
    response = client.get(PICK)
    html = response.content.decode()
    assert f'<option value="{commune_a.pk}">' in html and f'<option value="{commune_b.pk}">' in html
    assert sorted(_names(response)) == ["Ấp A1", "Ấp B1"]
    assert _names(client.get(PICK, {"commune": commune_b.pk})) == ["Ấp B1"]
    assert f'<option value="{commune_b.pk}" selected>' in client.get(PICK, {"commune": commune_b.pk}).content.decode()


def test_a_commune_outside_the_scope_shows_nothing_of_it(client, commune_officer_a, commune_b, hamlet_a1, hamlet_b1):
    client.force_login(commune_officer_a)
    assert _names(client.get(PICK, {"commune": commune_b.pk})) == ["Ấp A1"]  # an unknown commune is ignored
    assert _names(client.get(PICK, {"q": "B1"})) == []


def test_thousands_of_hamlets_come_a_page_at_a_time_in_few_queries(
    client, province_admin, commune_a, django_assert_max_num_queries
):
    for i in range(230):
        area_services.hamlet_create(parent=commune_a, name=f"Tổ {i:03d}", kind="Tổ")
    client.force_login(province_admin)
    with django_assert_max_num_queries(12):
        first = client.get(PICK)
    assert len(_names(first)) == 50 and first.context["page"].paginator.count == 230
    assert "230 thôn/ấp" in first.content.decode()
    with django_assert_max_num_queries(12):
        searched = client.get(PICK, {"q": "to 22", "commune": commune_a.pk})
    assert _names(searched) == [f"Tổ {i:03d}" for i in range(230) if "22" in f"{i:03d}"]  # every word, anywhere
    assert "page=2" not in searched.content.decode()  # one page only
    page_link = f'href="?q=to&amp;commune={commune_a.pk}&amp;page=2"'
    assert page_link in client.get(PICK, {"q": "to", "commune": commune_a.pk}).content.decode()
    last = client.get(PICK, {"q": "to", "commune": commune_a.pk, "page": 5})
    assert _names(last) == [f"Tổ {i:03d}" for i in range(200, 230)]
