"""Benchmark: import of a 5,500-row roster (.xlsx) — docs/TARGETS.md: ≤ 15 s, peak memory ≤ 500 MB — and the ratio to
django-import-export's default row-by-row import of the same rows.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_roster_import.py [--rows 5500] [--repeat 3]
        [--ie-rows 5500] [--quick] [--json out.json]

The file is generated deterministically: 1,100 hamlets of province 80 (current structure), 5 members each, one
leader per hamlet. The database named by DATABASE_URL must be migrated with the administrative units imported.

* Ours: read + check + save, through the same handler as the page and the API (``MemberImport``), teams founded
  in bulk for the new hamlets on the way. Median of ``--repeat`` runs, each rolled back. Peak memory is the
  process's peak RSS after our runs (Django included), before the reference runs.
* Reference: a plain ``resources.ModelResource`` for ``Member`` (``import_id_fields = ("phone",)``, the natural key
  ours matches on) and ``Resource.import_data(dataset, dry_run=False)`` with its defaults (one transaction, row by
  row: a look-up and a save per row, history triggers included), timed from the same rows written to an .xlsx in
  the resource's column names and loaded with tablib. Its data is given already resolved (team ids — the teams
  created beforehand, untimed —, codes for gender, organisation and role, normalised phones, no citizen-ID), which
  it could not do itself. It runs on the first ``--ie-rows`` rows (default: all) and its time is extrapolated
  linearly to the whole file when fewer.

Everything happens in a transaction rolled back at the end: the database is left as it was.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time
from datetime import date

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnscd.settings")
os.environ.setdefault("DEBUG", "1")

from bench.common import record, write_json  # noqa: E402

TARGET_SECONDS = 15
TARGET_MB = 500
TARGET_RATIO = 10
PER_TEAM = 5
ORGS = ["Đoàn Thanh niên", "Hội Liên hiệp Phụ nữ", "Hội Nông dân", "Công an", "Cán bộ xã", "Giáo viên"]
ORG_CODES = ["youth_union", "women_union", "farmers_union", "police", "commune_staff", "teacher"]


class Rollback(Exception):
    pass


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def roster_rows(n_rows: int, hamlets) -> list[list]:
    """The file's rows, in the template's layout (commune code, hamlet name, team name, full name, …)."""
    rows = []
    for i in range(n_rows):
        hamlet = hamlets[i // PER_TEAM]
        role = "Tổ trưởng" if i % PER_TEAM == 0 else ("Tổ phó" if i % PER_TEAM == 1 else "Thành viên")
        rows.append(
            [
                hamlet.parent.code,
                hamlet.name,
                "",
                f"Thành viên {i:05d}",
                "Nữ" if i % 2 else "Nam",
                1960 + i % 45,
                f"098{i:07d}",
                f"080{i:09d}" if i % 4 == 0 else "",
                ORGS[i % len(ORGS)],
                role,
                "01/03/2024",
                "",
                "15/05/2024" if i % 3 else "",
            ]
        )
    return rows


def reference_rows(rows: list[list], team_ids: dict[tuple[str, str], int]) -> list[list]:
    """The same members in the model's terms, for the reference import."""
    roles = {"Tổ trưởng": "leader", "Tổ phó": "deputy", "Thành viên": "member"}
    result = []
    for i, row in enumerate(rows):
        commune, hamlet, _team, name, gender, year, phone, _cid, _org, role, _joined, _left, trained = row
        result.append(
            [
                team_ids[(commune, hamlet)],
                name,
                "female" if gender == "Nữ" else "male",
                year,
                phone,
                ORG_CODES[i % len(ORG_CODES)],
                roles[role],
                date(2024, 3, 1),
                date(2024, 5, 15) if trained else None,
            ]
        )
    return result


def xlsx(header: list[str], rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ie-rows", type=int, default=None, help="rows given to django-import-export (default all)")
    parser.add_argument("--quick", action="store_true", help="500 rows, one run (the smoke test)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeat = min(args.rows, 500), 1

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction

    settings.DEBUG = False  # no query log in memory, as in production

    import tablib
    from import_export import resources

    from accounts.models import User
    from areas.models import Area, Level, Structure
    from areas.services import hamlet_create
    from members.models import Member
    from members.resources import MemberImport
    from teams.models import Team

    def deferred_checks() -> None:
        """Run the deferred foreign-key checks now: a real import commits, the benchmark rolls back."""
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    class MemberResource(resources.ModelResource):
        class Meta:
            model = Member
            import_id_fields = ("phone",)

    reference_header = [
        "team",
        "full_name",
        "gender",
        "birth_year",
        "phone",
        "organization",
        "role",
        "joined_on",
        "trained_on",
    ]

    province = Area.objects.get(structure=Structure.CURRENT, level=Level.PROVINCE, code="80")
    communes = list(Area.objects.filter(parent=province, level=Level.COMMUNE).order_by("code"))
    needed = -(-args.rows // PER_TEAM)
    ie_rows = min(args.ie_rows or args.rows, args.rows)
    times, results = [], []
    baseline_mb = rss_mb()
    try:
        with transaction.atomic():
            hamlets = [
                hamlet_create(parent=communes[i % len(communes)], name=f"Ấp thử {i:04d}", kind="Ấp")
                for i in range(needed)
            ]
            by_pk = {c.pk: c for c in communes}
            for hamlet in hamlets:
                hamlet.parent = by_pk[hamlet.parent_id]
            user = User.objects.create_superuser("bench-roster", password=None)
            rows = roster_rows(args.rows, hamlets)
            data = xlsx([c.header for c in MemberImport.columns], rows)
            for _ in range(args.repeat):
                try:
                    with transaction.atomic():
                        started = time.perf_counter()
                        handler = MemberImport(acting_user=user)
                        parsed = handler.read(io.BytesIO(data), "bench.xlsx")
                        errors = handler.check(parsed, lambda n: None)
                        if errors:
                            print("unexpected errors:", [e.as_dict() for e in errors[:5]])
                            return 1
                        created = handler.save()
                        deferred_checks()
                        times.append(time.perf_counter() - started)
                        results.append(created)
                        raise Rollback
                except Rollback:
                    pass
            ours_mb = rss_mb()

            teams = Team.objects.bulk_create(
                Team(area=h, name=f"Tổ CNSCĐ {h.name}", established_on=date(2024, 3, 1)) for h in hamlets
            )
            team_ids = {(h.parent.code, h.name): t.pk for h, t in zip(hamlets, teams, strict=True)}
            reference = xlsx(reference_header, reference_rows(rows[:ie_rows], team_ids))
            try:
                with transaction.atomic():
                    started = time.perf_counter()
                    dataset = tablib.Dataset().load(reference, format="xlsx")
                    result = MemberResource().import_data(dataset, dry_run=False)
                    deferred_checks()
                    ie_seconds = time.perf_counter() - started
                    if result.has_errors() or result.has_validation_errors():
                        raise SystemExit(f"import-export reported errors: {result.totals}")
                    ie_created = Member.objects.filter(team__in=teams).count()
                    raise Rollback
            except Rollback:
                pass
            raise Rollback
    except Rollback:
        pass

    median = statistics.median(times)
    ie_full = ie_seconds * args.rows / ie_rows
    ratio = ie_full / median
    ok_time, ok_mem = median <= TARGET_SECONDS, ours_mb <= TARGET_MB
    print(
        f"roster import, {args.rows} rows (xlsx): median {median:.2f} s over {len(times)} runs "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}); created/updated/unchanged {results[0]}"
    )
    print(f"  target ≤ {TARGET_SECONDS} s: {'OK' if ok_time else 'MISSED'}")
    print(
        f"  peak memory (RSS of this process, Django included; {baseline_mb:.0f} MB before the runs): "
        f"{ours_mb:.0f} MB; target ≤ {TARGET_MB} MB: {'OK' if ok_mem else 'MISSED'}"
    )
    measured = "all rows" if ie_rows == args.rows else f"the first {ie_rows} rows"
    print(
        f"django-import-export default import_data (row by row): {ie_seconds:.2f} s measured on {measured} "
        f"({ie_created} created, {ie_rows / ie_seconds:.0f} rows/s)"
    )
    if ie_rows != args.rows:
        print(f"  extrapolated linearly to {args.rows} rows: {ie_full:.1f} s")
    print(f"  ratio import-export / ours: {ratio:.1f} × (no target for rosters; households: ≥ {TARGET_RATIO} ×)")
    print()
    record(
        f"roster import, {args.rows:,} rows (xlsx)",
        f"{median:.2f} s, peak {ours_mb:.0f} MB",
        f"≤ {TARGET_SECONDS} s, ≤ {TARGET_MB} MB",
        ok_time and ok_mem,
    )
    record(
        "  ratio django-import-export default / ours",
        f"{ratio:.1f} × ({ie_full:.1f} s{' extrapolated' if ie_rows != args.rows else ''})",
        "",
        None,
    )
    write_json(args.json)
    return 0 if ok_time and ok_mem else 1


if __name__ == "__main__":
    sys.exit(main())
