"""Personal data lifecycle: consent withdrawal reaches the audit history, import files leave the disk, viewers read
no personal data (docs/SPEC.md §4, docs/security.md)."""

import io
import os
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation
from openpyxl import Workbook

from households import services as household_services
from households.models import ExportLog, Household
from households.resources import HouseholdImport
from imports import services as import_services
from imports.models import ImportJob, ImportStatus
from members.models import Member
from teams.models import Team
from tests.conftest import ensure_units

PHONE = "0987654321"
HEADERS = [c.header for c in HouseholdImport.columns]


@pytest.fixture(autouse=True)
def _media(db, settings, tmp_path):
    """Uploads go to a folder of this test alone, so 'nothing left on disk' can be asserted."""
    ensure_units()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def _files(root) -> list[str]:
    return [os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files]


def _xlsx(rows, name="ho.xlsx") -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = name
    return out


def _row(commune, hamlet, code="HGD-1", phone=PHONE, consent="Có"):
    return [commune.code, hamlet.name, code, "Trần Văn Bình", "Số 1", 4, phone, consent, "", "Có"]


def _import(client, rows, dry_run=False):
    response = client.post(
        "/api/v1/imports/", {"kind": "households", "file": _xlsx(rows), "dry_run": dry_run}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _events_with(text: str) -> list[str]:
    """The audit tables (every ``*event*`` table, and pghistory's contexts) whose rows hold ``text`` anywhere."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND (table_name LIKE '%%event%%' OR table_name = 'pghistory_context')"
        )
        tables = [row[0] for row in cursor.fetchall()]
        found = []
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}" t WHERE row_to_json(t)::text LIKE %s', [f"%{text}%"])
            if cursor.fetchone()[0]:
                found.append(table)
        return found


@pytest.fixture
def household_a1_with_history(hamlet_a1) -> Household:
    """A household of A1 with a consented phone and two history events holding it."""
    household = Household.objects.create(
        area=hamlet_a1, code="A1-001", head_name="Chủ hộ", phone=PHONE, consent_given=True, size=4
    )
    Household.objects.filter(pk=household.pk).update(size=5)  # a second event holding the phone
    return household


# --- Consent withdrawal --------------------------------------------------------------------------------------


def test_withdrawing_consent_erases_the_phone_from_every_event_of_the_household(
    api, team_leader_a1, household_a1_with_history
):
    other = Household.objects.create(
        area=household_a1_with_history.area, code="A1-002", head_name="Hộ khác", phone="0911222333", consent_given=True
    )
    assert _events_with(PHONE) == ["households_householdevent"]

    response = api(team_leader_a1).patch(
        f"/api/v1/households/{household_a1_with_history.pk}/", {"consent_given": False}
    )

    assert response.status_code == 200 and response.json()["phone"] == ""
    assert _events_with(PHONE) == []
    events = Household.pgh_event_model.objects.filter(pgh_obj_id=household_a1_with_history.pk)
    assert events.count() == 4  # insert, update, the withdrawal's update, consent_withdrawn
    assert set(events.values_list("phone", flat=True)) == {""}
    assert _events_with("0911222333") == ["households_householdevent"]  # another household keeps its own
    assert other.pk


def test_the_history_keeps_who_withdrew_consent_and_when_without_the_phone(
    api, team_leader_a1, household_a1_with_history
):
    api(team_leader_a1).patch(f"/api/v1/households/{household_a1_with_history.pk}/", {"consent_given": False})

    events = Household.pgh_event_model.objects.select_related("pgh_context").filter(
        pgh_obj_id=household_a1_with_history.pk
    )
    trace = events.get(pgh_label=household_services.CONSENT_WITHDRAWN)
    withdrawal = events.get(pgh_label="update", consent_given=False)
    assert trace.pgh_context.metadata["user"] == team_leader_a1.pk
    assert trace.pgh_context.metadata["url"] == f"/api/v1/households/{household_a1_with_history.pk}/"
    assert (trace.pgh_created_at, trace.pgh_context_id) == (withdrawal.pgh_created_at, withdrawal.pgh_context_id)
    assert (trace.consent_given, trace.phone, trace.head_name) == (False, "", "Chủ hộ")


def test_a_refused_withdrawal_changes_nothing_in_the_history(api, team_leader_a1, household_a1_with_history):
    response = api(team_leader_a1).patch(
        f"/api/v1/households/{household_a1_with_history.pk}/", {"consent_given": False, "code": ""}, format="json"
    )
    assert response.status_code == 400
    assert _events_with(PHONE) == ["households_householdevent"]
    assert not Household.pgh_event_model.objects.filter(pgh_label=household_services.CONSENT_WITHDRAWN).exists()


def test_withdrawing_consent_in_the_administration_scrubs_the_history_too(client, superuser, household_a1_with_history):
    client.force_login(superuser)
    form = {
        "area": household_a1_with_history.area_id,
        "code": "A1-001",
        "head_name": "Chủ hộ",
        "address": "",
        "size": 5,
    }
    response = client.post(
        f"/admin/households/household/{household_a1_with_history.pk}/change/", form
    )  # consent unticked
    assert response.status_code == 302
    household_a1_with_history.refresh_from_db()
    assert (household_a1_with_history.consent_given, household_a1_with_history.phone) == (False, "")
    assert _events_with(PHONE) == []
    trace = Household.pgh_event_model.objects.get(pgh_label=household_services.CONSENT_WITHDRAWN)
    assert trace.pgh_context.metadata["user"] == superuser.pk


def test_an_import_row_saying_no_consent_withdraws_it_and_scrubs_the_history(
    api, commune_officer_a, commune_a, hamlet_a1, household_a1_with_history
):
    body = _import(api(commune_officer_a), [_row(commune_a, hamlet_a1, code="A1-001", phone="", consent="Không")])

    assert body["status"] == "imported" and body["updated"] == 1, body
    household_a1_with_history.refresh_from_db()
    assert (household_a1_with_history.consent_given, household_a1_with_history.phone) == (False, "")
    assert _events_with(PHONE) == []
    trace = Household.pgh_event_model.objects.get(pgh_label=household_services.CONSENT_WITHDRAWN)
    assert trace.pgh_context.metadata["user"] == commune_officer_a.pk


def test_an_import_row_keeping_consent_leaves_the_history_alone(
    api, commune_officer_a, commune_a, hamlet_a1, household_a1_with_history
):
    body = _import(api(commune_officer_a), [_row(commune_a, hamlet_a1, code="A1-001", phone=PHONE)])
    assert body["status"] == "imported", body
    assert _events_with(PHONE) == ["households_householdevent"]
    assert not Household.pgh_event_model.objects.filter(pgh_label=household_services.CONSENT_WITHDRAWN).exists()


def test_copies_of_the_phone_in_old_import_reports_and_export_logs_are_masked_on_withdrawal(
    api, team_leader_a1, commune_officer_a, household_a1_with_history
):
    job = ImportJob.objects.create(
        kind="households", original_name="x.xlsx", created_by=commune_officer_a, status=ImportStatus.REJECTED,
        errors=[
            {"row": 2, "field": "Số điện thoại", "message": f"“{PHONE}” belongs to another household"},
            {"row": 3, "field": "Số điện thoại", "message": "“+84 987 654 321” and “0987.654.321” too"},
        ],
    )  # fmt: skip
    ExportLog.objects.create(user=commune_officer_a, kind="households_csv", params={"q": [PHONE]})
    assert "imports_importjobevent" in _events_with(PHONE) and _events_with("987 654 321")

    api(team_leader_a1).patch(f"/api/v1/households/{household_a1_with_history.pk}/", {"consent_given": False})

    assert _events_with(PHONE) == [] and _events_with("987 654 321") == [] and _events_with("987.654.321") == []
    job.refresh_from_db()
    assert job.errors[0]["message"] == "“09******21” belongs to another household"
    assert job.errors[1]["message"] == "“09******21” and “09******21” too"
    assert ExportLog.objects.get().params == {"q": ["09******21"]}


def test_the_daily_sweep_erases_phones_left_in_the_history_of_households_without_consent(
    hamlet_a1, household_a1_with_history
):
    keeps = Household.objects.create(area=hamlet_a1, code="K", head_name="Hộ", phone="0911222333", consent_given=True)
    Household.objects.filter(pk=household_a1_with_history.pk).update(
        phone="", consent_given=False
    )  # a path that forgot it
    gone = Household.objects.create(area=hamlet_a1, code="G", head_name="Hộ", phone="0933444555", consent_given=True)
    gone.delete()

    from households.tasks import household_history_sweep_task

    assert household_history_sweep_task.delay().get() == 4  # two of household_a1_with_history, insert and delete of "G"
    assert _events_with(PHONE) == [] and _events_with("0933444555") == []
    assert _events_with("0911222333") == ["households_householdevent"]
    assert keeps.pk


def test_an_export_log_never_stores_a_phone_typed_in_the_search(api, commune_officer_a, household_a1_with_history):
    response = api(commune_officer_a).get("/api/v1/households/export/", {"q": "0912 999 888"})
    assert response.status_code == 200
    assert ExportLog.objects.get().params == {"q": ["09******88"]}


# --- Uploaded files ------------------------------------------------------------------------------------------


def test_the_file_of_a_finished_import_is_deleted_and_its_report_kept(
    api, commune_officer_a, commune_a, hamlet_a1, _media
):
    body = _import(api(commune_officer_a), [_row(commune_a, hamlet_a1)])
    assert body["status"] == "imported", body
    assert _files(_media) == []
    job = ImportJob.objects.get(pk=body["id"])
    assert job.file.name == "" and job.created == 1
    assert api(commune_officer_a).get(f"/api/v1/imports/{job.pk}/").json()["status"] == "imported"


def test_the_file_of_a_rejected_import_is_deleted_and_its_report_masks_the_values_typed(
    api, commune_officer_a, commune_a, hamlet_a1, _media
):
    rows = [_row(commune_a, hamlet_a1, phone="0112 345 699"), _row(commune_a, hamlet_a1, code="H2", consent="Không")]
    body = _import(api(commune_officer_a), rows)

    assert body["status"] == "rejected"
    assert _files(_media) == []
    errors = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert errors[(2, "Số điện thoại")].startswith("“01******99”: ")
    assert "0112" not in str(body["errors"]) and "345 699" not in str(body["errors"])
    assert (3, "Số điện thoại") in errors
    assert _events_with("0112 345 699") == [] and _events_with("0987654321") == []


def test_the_file_of_an_unreadable_upload_is_deleted(api, commune_officer_a, _media):
    broken = io.BytesIO(b"PK\x03\x04 not a workbook")
    broken.name = "hong.xlsx"
    response = api(commune_officer_a).post(
        "/api/v1/imports/", {"kind": "households", "file": broken, "dry_run": False}, format="multipart"
    )
    assert response.json()["status"] == "rejected"
    assert _files(_media) == []


def test_a_valid_dry_run_keeps_its_file_until_it_is_confirmed(api, commune_officer_a, commune_a, hamlet_a1, _media):
    client = api(commune_officer_a)
    body = _import(client, [_row(commune_a, hamlet_a1)], dry_run=True)
    assert body["status"] == "valid" and len(_files(_media)) == 1

    job = ImportJob.objects.get(pk=body["id"])
    again = import_services.import_job_confirm(acting_user=commune_officer_a, job=job)

    assert again.status == ImportStatus.IMPORTED and Household.objects.filter(code="HGD-1").exists()
    assert _files(_media) == []
    assert set(ImportJob.objects.values_list("file", flat=True)) == {""}


def test_a_dry_run_with_errors_deletes_its_file(api, commune_officer_a, commune_a, hamlet_a1, _media):
    body = _import(api(commune_officer_a), [_row(commune_a, hamlet_a1, consent="Không")], dry_run=True)
    assert body["status"] == "rejected" and _files(_media) == []


def test_an_unconfirmed_dry_run_loses_its_file_after_a_day_and_then_cannot_be_confirmed(
    api, commune_officer_a, commune_a, hamlet_a1, _media
):
    from django.core.exceptions import ValidationError

    from imports.tasks import import_files_cleanup_task

    body = _import(api(commune_officer_a), [_row(commune_a, hamlet_a1)], dry_run=True)
    assert import_files_cleanup_task.delay().get() == 0 and len(_files(_media)) == 1  # still fresh

    ImportJob.objects.filter(pk=body["id"]).update(finished_at=timezone.now() - timedelta(hours=25))
    assert import_files_cleanup_task.delay().get() == 1
    assert _files(_media) == []
    with pytest.raises(ValidationError) as refused, translation.override("vi"):
        import_services.import_job_confirm(acting_user=commune_officer_a, job=ImportJob.objects.get(pk=body["id"]))
    assert refused.value.messages == ["Tệp đã kiểm tra đã bị xoá (sau 24 giờ); hãy tải tệp lên lại."]


def test_the_cleanup_fails_a_job_stuck_for_a_day_and_removes_its_file_and_orphans(
    commune_officer_a, commune_a, hamlet_a1, _media
):
    from django.core.files.base import ContentFile

    stuck = ImportJob.objects.create(
        kind="households", original_name="x.xlsx", created_by=commune_officer_a, status=ImportStatus.RUNNING,
        file=ContentFile(b"079123456789;0987654321", name="stuck.csv"),
    )  # fmt: skip
    ImportJob.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(days=2))
    orphan = _media / "imports" / "2026" / "01" / "orphan.csv"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_text("079123456789")
    old = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(orphan, (old, old))
    fresh = _media / "imports" / "fresh.csv"
    fresh.write_text("being uploaded")

    assert import_services.import_files_cleanup() == 2

    assert _files(_media) == [str(fresh)]
    stuck.refresh_from_db()
    assert stuck.status == ImportStatus.FAILED and stuck.file.name == ""


def test_a_crash_while_storing_an_upload_leaves_no_file(
    api, commune_officer_a, commune_a, hamlet_a1, _media, monkeypatch
):
    def crash(job):
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_services, "_estimate_rows", crash)
    client = api(commune_officer_a)
    client.raise_request_exception = False
    response = client.post(
        "/api/v1/imports/", {"kind": "households", "file": _xlsx([_row(commune_a, hamlet_a1)])}, format="multipart"
    )
    assert response.status_code == 500
    assert _files(_media) == [] and not ImportJob.objects.exists()


def test_the_beat_schedule_runs_the_file_cleanup_hourly_and_the_history_sweep_daily():
    from cnscd.celery import app

    tasks = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert tasks["imports.tasks.import_files_cleanup_task"].hour == set(range(24))
    assert len(tasks["households.tasks.household_history_sweep_task"].hour) == 1


# --- Viewers -------------------------------------------------------------------------------------------------


@pytest.fixture
def member_a1_with_personal_data(team_a1) -> Member:
    """A member of team A1 (no login) with a phone, citizen-ID digits and birth year: what viewers must not read."""
    return Member.objects.create(
        team=team_a1, full_name="Nguyễn Văn Tổ", gender="male", organization="youth_union", phone="0977111222",
        citizen_id_last4="6789", birth_year=1990,
    )  # fmt: skip


def test_a_viewer_reads_members_without_phone_citizen_id_or_birth_year(api, viewer, member_a1_with_personal_data):
    for url in ("/api/v1/members/", f"/api/v1/members/{member_a1_with_personal_data.pk}/"):
        body = api(viewer).get(url).json()
        row = body["results"][0] if "results" in body else body
        assert row["full_name"] == "Nguyễn Văn Tổ"
        assert (row["phone"], row["citizen_id_last4"], row["birth_year"]) == ("", "", None)
        assert "0977111222" not in str(body) and "6789" not in str(body)


def test_a_commune_officer_reads_the_members_personal_data(api, commune_officer_a, member_a1_with_personal_data):
    row = api(commune_officer_a).get(f"/api/v1/members/{member_a1_with_personal_data.pk}/").json()
    assert (row["phone"], row["citizen_id_last4"], row["birth_year"]) == ("0977111222", "6789", 1990)


def test_a_viewer_who_leads_one_team_reads_personal_data_of_that_team_only(
    api, viewer, member_a1_with_personal_data, hamlet_b1, team_a1
):
    from accounts.models import Role, RoleAssignment

    team_b1 = Team.objects.create(area=hamlet_b1, name="Tổ B1", established_on=date(2024, 1, 15))
    Member.objects.create(team=team_b1, full_name="Lê B1", gender="male", organization="police", phone="0977333444")
    RoleAssignment.objects.create(user=viewer, role=Role.TEAM_LEADER, area=team_b1.area)
    viewer.refresh_from_db()

    rows = {r["full_name"]: r["phone"] for r in api(viewer).get("/api/v1/members/").json()["results"]}
    assert rows == {"Nguyễn Văn Tổ": "", "Lê B1": "0977333444"}


def test_the_team_page_shows_phones_to_the_commune_officer_and_not_to_a_viewer(
    client, viewer, commune_officer_a, member_a1_with_personal_data, team_a1
):
    client.force_login(viewer)
    page = client.get(f"/teams/{team_a1.pk}/").content.decode()
    assert "Nguyễn Văn Tổ" in page and "0977111222" not in page and "1990" not in page

    client.force_login(commune_officer_a)
    page = client.get(f"/teams/{team_a1.pk}/").content.decode()
    assert "0977111222" in page and "1990" in page


def test_a_viewer_gets_no_household_or_visit_and_no_export(api, client, viewer, household_a1_with_history):
    client = api(viewer)
    assert client.get(f"/api/v1/households/{household_a1_with_history.pk}/").status_code == 404
    listing = client.get("/api/v1/households/")
    assert listing.status_code == 403 or listing.json()["results"] == []
    visits = client.get("/api/v1/visits/")
    assert visits.status_code == 403 or visits.json()["results"] == []
    assert client.get("/api/v1/households/export/").status_code == 403
    assert PHONE not in str(listing.content) + str(visits.content)
    client.force_login(viewer)
    assert client.get("/teams/export.xlsx").status_code == 403
