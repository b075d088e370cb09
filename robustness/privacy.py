"""Personal data that must not stay: consent withdrawn, import files, what viewers read.

* **Consent withdrawal**: the household of hamlet A1 (phone known, several audit events, its number also typed
  into an old import report and an export search) withdraws consent through the API (team leader), and the
  household of B1 through a household import whose row says Không (commune officer). Then every audit table
  (each table whose name holds ``event``, and pghistory's contexts), the import reports, the export logs and
  every file under ``MEDIA_ROOT`` (text, and the members of .xlsx archives unpacked) are searched for either
  phone, in the forms it may have been typed (``0912…``, ``0912 000 003``, ``+84 912…``). The
  ``consent_withdrawn`` event must remain for each, naming who withdrew it.
* **Files left on disk**: imports of each outcome — imported, rejected (a bad row), unreadable file, dry run with
  errors, valid dry run then confirmed, valid dry run never confirmed (the hourly cleanup, 25 hours later), a
  worker that died (the job failed for good) — each carrying citizen-IDs and phones; after each, the files still
  under ``MEDIA_ROOT`` for it are counted (a rolled-back upload counts too).
* **Viewers**: the viewer persona lists members (``/api/v1/members/``), opens every team page of its scope and
  asks for households and visits; every phone, citizen-ID tail and birth year of the world's members and
  households found in those answers is a leak.

Runs in-process on a scratch copy of the suite's database, with a ``MEDIA_ROOT`` of its own.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

from robustness.common import Row, count, django_setup, emit, scratch_database, tmp_dir

MEDIA = tmp_dir() / "media-privacy"


def _forms(phone: str) -> list[str]:
    """The ways a stored number may have been typed or copied."""
    return [phone, f"{phone[:4]} {phone[4:7]} {phone[7:]}", "+84 " + phone[1:], "84" + phone[1:]]


def _files() -> list[Path]:
    return [path for path in MEDIA.rglob("*") if path.is_file()]


def _file_texts(path: Path) -> list[str]:
    """The text of a file, and of each member when it is a zip archive (an .xlsx)."""
    data = path.read_bytes()
    texts = [data.decode("utf-8", "replace")]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            texts += [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    return texts


def _audit_tables() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE "
            "TABLE' AND (table_name LIKE '%%event%%' OR table_name IN ('pghistory_context', 'imports_importjob', "
            "'households_exportlog'))"
        )
        return sorted(row[0] for row in cursor.fetchall())


def _rows_holding(tables: list[str], needles: list[str]) -> dict[str, int]:
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE row_to_json(t)::text LIKE ANY(%s)',
                [[f"%{needle}%" for needle in needles]],
            )
            n = cursor.fetchone()[0]
            if n:
                found[table] = n
    return found


def _xlsx(rows: list[list]) -> io.BytesIO:
    from openpyxl import Workbook

    from households.resources import HouseholdImport

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in HouseholdImport.columns])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "ho-gia-dinh.xlsx"
    return out


def _client(user_id: int):
    from rest_framework.test import APIClient

    from robustness import world as world_module

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world_module.token(user_id)}")
    return client


def consent_withdrawal(world) -> tuple[list[Row], list[str]]:
    from areas.models import Area
    from households import services as household_services
    from households.models import ExportLog, Household
    from imports.models import ImportJob

    lines = []
    a1 = world.corners["A1"]
    first = Household.objects.get(pk=a1.household)
    second = household_services.household_create(
        acting_user=None, area=first.area, code="RA1-PRIV", head_name="Chủ hộ riêng", address="Số 9",
        phone="0912000099", consent_given=True, size=3,
    )  # fmt: skip
    phones = [first.phone, second.phone]
    needles = [form for phone in phones for form in _forms(phone)]
    for household in (first, second):
        Household.objects.filter(pk=household.pk).update(size=5)  # one more event holding the phone
    officer = world.users["commune_officer"]
    ImportJob.objects.create(
        kind="households", original_name="cu.xlsx", created_by_id=officer, status="rejected",
        errors=[{"row": 2, "field": "Số điện thoại", "message": f"“{_forms(first.phone)[1]}” đã có"}],
    )  # fmt: skip
    ExportLog.objects.create(user_id=officer, kind="households_csv", params={"q": [first.phone]})
    tables = _audit_tables()
    before = _rows_holding(tables, needles)
    lines.append(f"before the withdrawals, rows holding the phones: {before}")

    commune = Area.objects.get(pk=a1.commune)
    hamlet = Area.objects.get(pk=a1.hamlet)
    # An upload naming both numbers (the size is wrong, so it is rejected): its file must not outlive it.
    earlier = [
        [commune.code, hamlet.name, h.code, h.head_name, h.address, 0, _forms(h.phone)[1], "Có", "", "Có"]
        for h in (first, second)
    ]
    uploaded = (
        _client(officer)
        .post("/api/v1/imports/", {"kind": "households", "file": _xlsx(earlier)}, format="multipart", secure=True)
        .json()
    )
    lines.append(f"an upload naming the phones answered {uploaded.get('status')}")
    leader = _client(world.users["team_leader"])
    api = leader.patch(f"/api/v1/households/{first.pk}/", {"consent_given": False}, format="json", secure=True)
    row = [commune.code, hamlet.name, second.code, second.head_name, second.address, 4, "", "Không", "", "Có"]
    body = (
        _client(officer)
        .post("/api/v1/imports/", {"kind": "households", "file": _xlsx([row])}, format="multipart", secure=True)
        .json()
    )
    lines.append(f"API withdrawal answered {api.status_code}; import withdrawal answered {body.get('status')}")

    after = _rows_holding(tables, needles)
    files = [str(path) for path in _files() if any(n in text for text in _file_texts(path) for n in needles)]
    traces = Household.pgh_event_model.objects.filter(
        pgh_obj_id__in=[first.pk, second.pk], pgh_label=household_services.CONSENT_WITHDRAWN
    ).select_related("pgh_context")
    who = sorted((t.pgh_obj_id, (t.pgh_context.metadata or {}).get("user")) for t in traces)
    expected_who = sorted([(first.pk, world.users["team_leader"]), (second.pk, officer)])
    lines += [
        f"after: rows holding the phones {after}; files holding them {files}",
        f"consent_withdrawn events (household, user): {who}",
    ]
    withdrawn = api.status_code == 200 and body.get("status") == "imported"
    rows = [
        Row(
            "consent withdrawal → audit tables",
            "0 rows of any *event* table, context, import report or export log hold the phone; trace kept",
            f"{sum(after.values())} rows hold it (were {sum(before.values())} in {len(before)} tables) across "
            f"{count(len(tables), 'table')}; {count(len(who), 'withdrawal')} traced with who withdrew",
            withdrawn and not after and who == expected_who and bool(before),
        ),
        Row(
            "consent withdrawal → MEDIA_ROOT",
            "0 files hold the phone",
            f"an upload naming it {uploaded.get('status')}; {count(len(files), 'file')} hold it "
            f"({count(len(_files()), 'file')} under MEDIA_ROOT)",
            withdrawn and not files and uploaded.get("status") == "rejected",
        ),
    ]
    return rows, lines


def import_files(world) -> tuple[Row, list[str]]:
    from django.utils import timezone

    from areas.models import Area
    from imports import services as import_services
    from imports.models import ImportJob

    officer_id = world.users["commune_officer"]
    client = _client(officer_id)
    a1 = world.corners["A1"]
    commune, hamlet = Area.objects.get(pk=a1.commune), Area.objects.get(pk=a1.hamlet)

    def row(code: str, phone: str = "0987123456", consent: str = "Có") -> list:
        return [commune.code, hamlet.name, code, "Trần Văn Riêng", "CCCD 080195123456", 3, phone, consent, "", "Có"]

    def upload(rows=None, dry_run=False, raw: bytes | None = None) -> dict:
        file = _xlsx(rows) if raw is None else io.BytesIO(raw)
        if raw is not None:
            file.name = "hong.xlsx"
        data = {"kind": "households", "file": file, "dry_run": dry_run}
        response = client.post("/api/v1/imports/", data, format="multipart", secure=True)
        return response.json() if response.status_code == 201 else {"status": f"HTTP {response.status_code}"}

    outcomes: dict[str, tuple[str, int]] = {}
    body = upload([row("P-1")])
    outcomes["imported"] = (body["status"], len(_files()))
    body = upload([row("P-2", phone="0112345678")])
    outcomes["rejected (bad row)"] = (body["status"], len(_files()))
    body = upload(raw=b"PK\x03\x04 not a workbook 080195123456")
    outcomes["unreadable file"] = (body["status"], len(_files()))
    body = upload([row("P-3", consent="Không")], dry_run=True)
    outcomes["dry run with errors"] = (body["status"], len(_files()))
    body = upload([row("P-4")], dry_run=True)
    kept = len(_files())
    officer = ImportJob.objects.get(pk=body["id"]).created_by
    again = import_services.import_job_confirm(acting_user=officer, job=ImportJob.objects.get(pk=body["id"]))
    outcomes["valid dry run, then confirmed"] = (
        f"{body['status']} (file kept: {kept}) → {again.status}",
        len(_files()),
    )
    body = upload([row("P-5")], dry_run=True)
    ImportJob.objects.filter(pk=body["id"]).update(finished_at=timezone.now() - timedelta(hours=25))
    removed = import_services.import_files_cleanup()
    outcomes["valid dry run never confirmed (cleanup 25 h later)"] = (
        f"{body['status']}, {removed} removed",
        len(_files()),
    )
    job = ImportJob.objects.create(
        kind="households", file=_uploaded("stuck.csv"), original_name="stuck.csv", created_by_id=officer_id
    )
    import_services.import_job_fail(job_id=job.pk)
    outcomes["worker died (job failed for good)"] = (ImportJob.objects.get(pk=job.pk).status, len(_files()))
    left = len(_files())
    lines = [f"{what}: {status}; files under MEDIA_ROOT {n}" for what, (status, n) in outcomes.items()]
    row_ = Row(
        "files left on disk after imports",
        "0 files under MEDIA_ROOT after each outcome",
        f"{count(left, 'file')} left after {len(outcomes)} outcomes ("
        + ", ".join(f"{what}: {n}" for what, (_s, n) in outcomes.items())
        + ")",
        left == 0 and all(n == 0 for _s, n in outcomes.values()) and kept == 1,
    )
    return row_, lines


def _uploaded(name: str):
    from django.core.files.base import ContentFile

    return ContentFile(b"080195123456;0987123456", name=name)


def viewers(world) -> tuple[Row, list[str]]:
    from django.test import Client

    from accounts.models import User
    from households.models import Household
    from members.models import Member
    from teams.models import Team

    viewer = User.objects.get(pk=world.users["viewer"])
    secrets = set()
    for member in Member.objects.all():
        secrets |= {member.phone, member.citizen_id_last4 and f'"{member.citizen_id_last4}"'}
        if member.birth_year:
            secrets |= {f'"birth_year":{member.birth_year}', f"· {member.birth_year}"}
    secrets |= {household.phone for household in Household.objects.exclude(phone="")}
    secrets.discard("")
    secrets.discard(None)
    api = _client(viewer.pk)
    answers = {}
    for url in ("/api/v1/members/?page_size=500", "/api/v1/households/", "/api/v1/visits/"):
        response = api.get(url, secure=True)
        answers[url] = (response.status_code, response.content.decode())
    page = Client()
    page.force_login(viewer)
    for team in Team.objects.restrict(viewer, "view"):
        response = page.get(f"/teams/{team.pk}/", secure=True)
        answers[f"/teams/{team.pk}/"] = (response.status_code, response.content.decode())
    leaks = sorted({(url, secret) for url, (_code, text) in answers.items() for secret in secrets if secret in text})
    members = answers["/api/v1/members/?page_size=500"]
    lines = [f"{url}: {code}" for url, (code, _t) in answers.items()] + [f"LEAK {url}: {s}" for url, s in leaks]
    row = Row(
        "viewers read personal data",
        "0 phones, citizen-ID digits or birth years in the viewer's answers",
        f"{count(len(leaks), 'leak')} in {count(len(answers), 'answer')} (members list {members[0]}, "
        f"{count(len(secrets), 'secret')} searched)",
        not leaks and members[0] == 200 and len(answers) > 3,
    )
    return row, lines


def run() -> tuple[list[Row], list[str]]:
    from robustness import world as world_module

    world = world_module.build()
    rows, lines = consent_withdrawal(world)
    row, more = import_files(world)
    rows.append(row)
    lines += more
    row, more = viewers(world)
    rows.append(row)
    return rows, lines + more


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="(the same: it takes seconds)")
    parser.parse_args()
    shutil.rmtree(MEDIA, ignore_errors=True)
    MEDIA.mkdir(parents=True)
    django_setup(DATABASE_URL=scratch_database("privacy"), MEDIA_ROOT=str(MEDIA))
    rows, lines = run()
    print("\n".join(lines), file=sys.stderr)
    emit(rows)


if __name__ == "__main__":
    main()
