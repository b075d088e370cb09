"""Targets from a spreadsheet: province administrators only, all-or-nothing, a re-import replaces values."""

from imports.models import ImportJob
from reports.models import Target
from reports.resources import TargetImport
from tests.test_imports import post

HEADERS = [c.header for c in TargetImport.columns]


def rows(province, commune_a, commune_b):
    return [
        [province.code, province.name, "vneid_activation", 2026, "", "50.000"],
        [commune_a.code, commune_a.name, "Số Tổ CNSCĐ đang hoạt động", 2026, "", 12],
        [commune_b.code, commune_b.name, "visits", 2026, 10, 300],
    ]


def test_a_province_admin_imports_targets_and_a_reimport_replaces_values(api, province_admin, province, commune_a,
                                                                          commune_b):  # fmt: skip
    client = api(province_admin)
    body = post(client, rows(province, commune_a, commune_b), kind="targets", headers=HEADERS).json()
    assert body["status"] == "imported", body
    stored = {(t.area_id, t.indicator.code, t.month): t.value for t in Target.objects.select_related("indicator")}
    assert stored == {(province.pk, "vneid_activation", None): 50000, (commune_a.pk, "teams", None): 12,
                      (commune_b.pk, "visits", 10): 300}  # fmt: skip
    changed = rows(province, commune_a, commune_b)
    changed[2][5] = 350
    assert post(client, changed, kind="targets", headers=HEADERS).json()["status"] == "imported"
    assert Target.objects.count() == 3 and Target.objects.get(area=commune_b).value == 350


def test_a_file_with_a_bad_row_saves_nothing_and_says_why(api, province_admin, province, commune_a, commune_b):
    bad = rows(province, commune_a, commune_b) + [
        ["99999", "", "visits", 2026, "", 1],
        [commune_a.code, "", "no_such_indicator", 2026, "", 1],
        [commune_a.code, "", "visits", 2026, 13, -4],
        [commune_a.code, "", "visits", 2026, "", "=1+1"],
    ]
    body = post(api(province_admin), bad, kind="targets", headers=HEADERS).json()
    assert body["status"] != "imported" and Target.objects.count() == 0
    fields = {(e["row"], e["field"]) for e in body["errors"]}
    assert {(5, "Mã đơn vị"), (6, "Chỉ số"), (7, "Tháng"), (7, "Chỉ tiêu"), (8, "Chỉ tiêu")} <= fields


def test_a_commune_officer_cannot_import_targets(api, commune_officer_a, province, commune_a, commune_b):
    response = post(api(commune_officer_a), rows(province, commune_a, commune_b), kind="targets", headers=HEADERS)
    assert response.status_code == 403
    assert Target.objects.count() == 0 and not ImportJob.objects.exists()
