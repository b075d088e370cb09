"""Administrative units: the real import, its idempotence, code reuse, hamlets and the areas API."""

from io import StringIO

import pytest
from django.core.management import call_command

from areas.models import Area, Level, Structure


def counts(structure: str) -> dict[str, int]:
    return {
        level: Area.objects.filter(structure=structure, level=level).count()
        for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
    }


def test_the_full_import_loads_both_structures_and_a_rerun_changes_nothing(db):
    call_command("import_admin_units", stdout=StringIO())
    assert counts(Structure.LEGACY) == {"province": 63, "district": 696, "commune": 10035}
    assert counts(Structure.CURRENT) == {"province": 34, "district": 0, "commune": 3321}
    legacy = Area.objects.filter(structure=Structure.LEGACY).first()
    assert legacy.valid_to.isoformat() == "2025-06-30"
    assert Area.objects.filter(structure=Structure.CURRENT).exclude(valid_from="2025-07-01").count() == 0

    snapshot = list(Area.objects.order_by("pk").values_list("pk", "name", "kind", "parent_id", "path", "valid_to"))
    events = Area.pgh_event_model.objects.count()
    out = StringIO()
    call_command("import_admin_units", stdout=out)
    assert "(0 new, 0 changed)" in out.getvalue() and "new, " in out.getvalue()
    assert " 1 new" not in out.getvalue()
    assert (
        list(Area.objects.order_by("pk").values_list("pk", "name", "kind", "parent_id", "path", "valid_to")) == snapshot
    )
    assert Area.pgh_event_model.objects.count() == events


def test_a_reused_code_gives_two_distinct_provinces(province, legacy_province):
    assert legacy_province.name == "Tỉnh Long An"
    assert province.name == "Tỉnh Tây Ninh"
    assert legacy_province.pk != province.pk
    assert legacy_province.children.count() == 15  # districts
    assert Area.objects.filter(path__startswith=legacy_province.path, level=Level.COMMUNE).count() == 186


def test_every_unit_has_the_path_of_its_parent(legacy_province):
    commune = Area.objects.filter(path__startswith=legacy_province.path, level=Level.COMMUNE).first()
    district = commune.parent
    assert commune.path == f"{legacy_province.path}{district.pk}/{commune.pk}/"
    assert [a.level for a in commune.ancestors()] == ["province", "district", "commune"]


def test_an_unknown_province_code_is_a_clear_error(db):
    with pytest.raises(Exception, match="No province with code 99"):
        call_command("import_admin_units", province="99", structure="current", stdout=StringIO())


class TestAreasApi:
    def test_lists_are_filtered_by_level_parent_code_and_validity(self, api, province_admin, province, legacy_province):
        client = api(province_admin)
        response = client.get("/api/v1/areas/", {"level": "commune", "parent": province.pk, "page_size": 500})
        assert response.status_code == 200
        assert response.json()["count"] == province.children.count() > 0
        item = response.json()["results"][0]
        assert set(item) == {"id", "code", "name", "level", "kind", "parent", "path", "valid_from", "valid_to"}
        # the admin of current Tây Ninh does not see legacy Long An (another unit, though the same code)
        assert client.get(f"/api/v1/areas/{legacy_province.pk}/").status_code == 404
        assert client.get("/api/v1/areas/", {"code": "80"}).json()["count"] == 1
        assert client.get("/api/v1/areas/", {"current": "false"}).json()["count"] == 0
        assert client.get("/api/v1/areas/", {"valid_on": "2024-01-01"}).json()["count"] == 0

    def test_superusers_see_both_structures_and_filter_by_date(self, api, superuser):
        client = api(superuser)
        assert client.get("/api/v1/areas/", {"code": "80", "level": "province"}).json()["count"] == 2
        on_2024 = client.get("/api/v1/areas/", {"code": "80", "level": "province", "valid_on": "2024-05-01"}).json()
        assert [a["name"] for a in on_2024["results"]] == ["Tỉnh Long An"]
        current = client.get("/api/v1/areas/", {"code": "80", "level": "province", "current": "true"}).json()
        assert [a["name"] for a in current["results"]] == ["Tỉnh Tây Ninh"]
        assert client.get("/api/v1/areas/", {"q": "Long An", "level": "province"}).json()["count"] == 1

    def test_a_commune_officer_creates_a_hamlet_in_their_commune(self, api, commune_officer_a, commune_a):
        response = api(commune_officer_a).post(
            "/api/v1/areas/", {"name": "  Ấp   Mới ", "kind": "Ấp", "parent": commune_a.pk}, format="json"
        )
        assert response.status_code == 201, response.json()
        hamlet = Area.objects.get(pk=response.json()["id"])
        assert (hamlet.name, hamlet.level, hamlet.structure) == ("Ấp Mới", "hamlet", "current")
        assert hamlet.path == f"{commune_a.path}{hamlet.pk}/"
        again = api(commune_officer_a).post(
            "/api/v1/areas/", {"name": "ấp mới", "kind": "Ấp", "parent": commune_a.pk}, format="json"
        )
        assert again.status_code == 400 and "name" in again.json()

    def test_a_commune_officer_cannot_create_a_hamlet_outside_their_commune(self, api, commune_officer_a, commune_b):
        response = api(commune_officer_a).post(
            "/api/v1/areas/", {"name": "Ấp lạ", "kind": "Ấp", "parent": commune_b.pk}, format="json"
        )
        assert response.status_code == 400
        assert "parent" in response.json()
        assert not Area.objects.filter(name="Ấp lạ").exists()

    def test_hamlets_go_under_current_communes_only_except_for_superusers(
        self, api, superuser, legacy_province, province_admin
    ):
        old_commune = Area.objects.filter(path__startswith=legacy_province.path, level=Level.COMMUNE).first()
        data = {"name": "Ấp Cũ", "kind": "Ấp", "parent": old_commune.pk}
        assert api(superuser).post("/api/v1/areas/", data, format="json").status_code == 201
        province = Area.objects.get(structure="current", level="province", code="80")
        commune = province.children.first()
        bad = api(province_admin).post("/api/v1/areas/", {"name": "X", "kind": "Ấp", "parent": province.pk})
        assert bad.status_code == 400 and "parent" in bad.json()
        ok = api(province_admin).post("/api/v1/areas/", {"name": "X", "kind": "Ấp", "parent": commune.pk})
        assert ok.status_code == 201

    def test_team_members_and_viewers_cannot_create_hamlets(self, api, team_member_a1, viewer, commune_a):
        for user in (team_member_a1, viewer):
            response = api(user).post("/api/v1/areas/", {"name": "Ấp X", "kind": "Ấp", "parent": commune_a.pk})
            assert response.status_code == 403

    def test_a_commune_officer_renames_and_deletes_their_hamlet_but_not_others(
        self, api, commune_officer_a, hamlet_a1, hamlet_b1
    ):
        client = api(commune_officer_a)
        response = client.patch(f"/api/v1/areas/{hamlet_a1.pk}/", {"name": "Ấp Một"}, format="json")
        assert response.status_code == 200 and response.json()["name"] == "Ấp Một"
        assert client.patch(f"/api/v1/areas/{hamlet_b1.pk}/", {"name": "Z"}, format="json").status_code == 404
        assert client.delete(f"/api/v1/areas/{hamlet_b1.pk}/").status_code == 404
        assert client.delete(f"/api/v1/areas/{hamlet_a1.pk}/").status_code == 204
        assert client.patch(f"/api/v1/areas/{hamlet_a1.parent_id}/", {"name": "Z"}, format="json").status_code == 403

    def test_anonymous_requests_are_refused(self, anonymous, province):
        assert anonymous.get("/api/v1/areas/").status_code == 401
