"""The dashboard: KPIs against targets, ranking, idle teams, drill-down inside the scope only, few queries."""

import uuid
from datetime import date, timedelta

from django.core.management import call_command

from households.models import Household
from members.models import Member
from teams.models import Team


def _world(api, hamlet_a1, hamlet_a2, team_member_a1):
    team = Team.objects.create(area=hamlet_a1, name="Tổ CNSCĐ Ấp A1", established_on=date(2024, 1, 15))
    Team.objects.create(area=hamlet_a2, name="Tổ CNSCĐ Ấp A2", established_on=date(2024, 1, 15))
    Member.objects.create(team=team, user=team_member_a1, full_name="Lê Văn Tổ", gender="male",
                          organization="youth_union", role="leader", trained_on=date(2024, 5, 1))  # fmt: skip
    household = Household.objects.create(area=hamlet_a1, code="H1", head_name="Hộ 1")
    item = {"client_uuid": str(uuid.uuid4()), "household": household.pk,
            "date": (date.today() - timedelta(days=2)).isoformat(), "channel": "door_to_door",
            "activities": [{"type": "vneid_activation", "quantity": 1234}]}  # fmt: skip
    assert api(team_member_a1).post("/api/v1/visits/", item).status_code == 201
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))


def test_the_province_dashboard_shows_kpis_targets_ranking_and_idle_teams(
    client,
    api,
    province_admin,
    province,
    commune_a,
    hamlet_a1,
    hamlet_a2,
    team_member_a1,
    django_assert_max_num_queries,
):
    _world(api, hamlet_a1, hamlet_a2, team_member_a1)
    api(province_admin).post("/api/v1/targets/", {"indicator": "vneid_activation", "area": province.pk,
                                                  "year": date.today().year, "value": 2468})  # fmt: skip
    client.force_login(province_admin)
    with django_assert_max_num_queries(15):
        page = client.get("/dashboard/")
    html = page.content.decode()
    assert page.status_code == 200 and province.name in html
    assert "1.234" in html and "2.468" in html and "50,0%" in html  # value, target, achievement
    assert commune_a.name in html  # ranking of the communes, drill-down links
    assert "Tổ CNSCĐ Ấp A2" in html  # idle for 30 days
    drill = client.get("/dashboard/", {"area": commune_a.pk})
    assert drill.status_code == 200 and "Ấp A1" in drill.content.decode()


def test_a_commune_officer_cannot_open_another_communes_dashboard(client, commune_officer_b, commune_a, commune_b):
    client.force_login(commune_officer_b)
    assert client.get("/dashboard/", {"area": commune_a.pk}).status_code == 404
    page = client.get("/dashboard/")
    assert page.status_code == 200 and commune_b.name in page.content.decode()
