"""Benchmark: import of a 5,500-row roster (.xlsx) — TARGETS.md: ≤ 15 s, peak memory ≤ 500 MB.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_roster_import.py [--rows 5500] [--repeat 3]

The file is generated deterministically: 1,100 hamlets of province 80 (current structure), 5 members each, one
leader per hamlet. The database named by DATABASE_URL must be migrated with the administrative units imported.
Each run (read + check + save, through the same service as the page and the API) happens in a transaction that
is rolled back, so the database is left as it was. Prints the median time and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnscd.settings")
os.environ.setdefault("DEBUG", "1")

TARGET_SECONDS = 15
TARGET_MB = 500
PER_TEAM = 5
ORGS = ["Đoàn Thanh niên", "Hội Liên hiệp Phụ nữ", "Hội Nông dân", "Công an", "Cán bộ xã", "Giáo viên"]


class Rollback(Exception):
    pass


def build_file(n_rows: int, hamlets) -> io.BytesIO:
    from openpyxl import Workbook

    from members.resources import MemberImport

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([c.header for c in MemberImport.columns])
    for i in range(n_rows):
        hamlet = hamlets[i // PER_TEAM]
        role = "Tổ trưởng" if i % PER_TEAM == 0 else ("Tổ phó" if i % PER_TEAM == 1 else "Thành viên")
        sheet.append(
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
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import transaction

    from accounts.models import User
    from areas.models import Area, Level, Structure
    from areas.services import hamlet_create
    from imports.base import Result  # noqa: F401  (the handler API used below)
    from members.resources import MemberImport

    province = Area.objects.get(structure=Structure.CURRENT, level=Level.PROVINCE, code="80")
    communes = list(Area.objects.filter(parent=province, level=Level.COMMUNE).order_by("code"))
    needed = -(-args.rows // PER_TEAM)
    times, results = [], []
    for _ in range(args.repeat):
        try:
            with transaction.atomic():
                hamlets = [
                    hamlet_create(parent=communes[i % len(communes)], name=f"Ấp thử {i:04d}", kind="Ấp")
                    for i in range(needed)
                ]
                for hamlet in hamlets:
                    hamlet.parent = next(c for c in communes if c.pk == hamlet.parent_id)
                user = User.objects.create_superuser("bench-roster", password=None)
                data = build_file(args.rows, hamlets)
                started = time.perf_counter()
                handler = MemberImport(acting_user=user)
                rows = handler.read(data, "bench.xlsx")
                errors = handler.check(rows, lambda n: None)
                if errors:
                    print("unexpected errors:", [e.as_dict() for e in errors[:5]])
                    return 1
                created = handler.save()
                times.append(time.perf_counter() - started)
                results.append(created)
                raise Rollback
        except Rollback:
            pass
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    median = statistics.median(times)
    print(
        f"roster import, {args.rows} rows (xlsx): median {median:.2f} s over {len(times)} runs "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}); created/updated/unchanged {results[0]}"
    )
    print(f"  target ≤ {TARGET_SECONDS} s: {'OK' if median <= TARGET_SECONDS else 'MISSED'}")
    print(
        f"  peak memory (RSS of this process, Django included): {peak_mb:.0f} MB; target ≤ {TARGET_MB} MB: "
        f"{'OK' if peak_mb <= TARGET_MB else 'MISSED'}"
    )
    return 0 if median <= TARGET_SECONDS and peak_mb <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
