"""The indicator catalogue is written by migrations, the deploy's command and the admin — never by reading it."""

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.models import ActivityType
from reports.models import Indicator
from reports.rollup import DERIVED, STRUCTURAL

WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_a_migrated_database_has_the_whole_catalogue(db):
    codes = set(Indicator.objects.values_list("code", flat=True))
    assert set(STRUCTURAL) | set(DERIVED) | {"visits", "households_visited"} <= codes
    assert not ActivityType.objects.filter(indicator__isnull=True).exists()
    assert all(a.indicator.code == a.code for a in ActivityType.objects.select_related("indicator"))


def test_reading_the_catalogue_and_the_kpis_writes_nothing(api, viewer, province):
    ActivityType.objects.create(code="digital_signature", name_vi="Chữ ký số", name_en="Digital signature")
    client = api(viewer)
    with CaptureQueriesContext(connection) as queries:
        catalogue = client.get("/api/v1/indicators/")
        kpis = client.get("/api/v1/kpis/", {"area": province.pk, "period": "2026"})
    assert catalogue.status_code == 200 and kpis.status_code == 200
    assert _writes(queries.captured_queries) == []
    assert not Indicator.objects.filter(code="digital_signature").exists()


def test_the_sync_command_gives_a_new_activity_its_indicator_once(api, viewer):
    activity = ActivityType.objects.create(
        code="digital_signature", name_vi="Chữ ký số", name_en="Digital signature", order=12
    )
    call_command("sync_indicators", stdout=open("/dev/null", "w"))
    indicator = Indicator.objects.get(code="digital_signature")
    assert (indicator.activity_type, indicator.name_vi, indicator.aggregation, indicator.order) == (
        activity,
        "Chữ ký số",
        "sum",
        112,
    )
    with CaptureQueriesContext(connection) as queries:
        call_command("sync_indicators", stdout=open("/dev/null", "w"))
    assert _writes(queries.captured_queries) == []
    assert "digital_signature" in {i["code"] for i in api(viewer).get("/api/v1/indicators/").json()}


def test_an_activity_added_in_the_admin_gets_its_indicator(client, superuser):
    client.force_login(superuser)
    form = {"code": "digital_signature", "name_vi": "Chữ ký số", "name_en": "Digital signature", "order": 12}
    response = client.post("/admin/households/activitytype/add/", {**form, "active": "on", "household_flag": ""})
    assert response.status_code == 302
    assert Indicator.objects.get(code="digital_signature").activity_type.code == "digital_signature"
