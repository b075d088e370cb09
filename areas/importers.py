"""Loading the real administrative units from the ``vietnamadminunits`` package (its sqlite data set).

Legacy structure (valid until 30/06/2025): 63 provinces, 696 districts, 10,035 communes.
Current structure (valid from 01/07/2025): 34 provinces, 3,321 communes, no districts.
Units are matched on (structure, level, code), so a re-run creates and changes nothing, and a code reused
across the structures (Long An 80 → Tây Ninh 80) gives two distinct units.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from areas.models import CURRENT_VALID_FROM, LEGACY_VALID_TO, Area, Level, Structure, rebuild_paths

PROVINCE_KINDS = ("Thành phố", "Tỉnh")


def dataset_path() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).resolve().parent / "data" / "dataset.db"


@dataclass
class Unit:
    level: str
    code: str
    name: str
    kind: str
    parent_code: str | None  # code of the parent unit in the same structure


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)


def _province_kind(name: str) -> str:
    return next((kind for kind in PROVINCE_KINDS if name.startswith(kind)), "Tỉnh")


def read_units(structure: str, province_code: str | None = None) -> list[Unit]:
    """The units of ``structure`` in the package's data set, parents before children."""
    connection = sqlite3.connect(f"file:{dataset_path()}?mode=ro", uri=True)
    try:
        if structure == Structure.LEGACY:
            rows = connection.execute(
                "SELECT province, provinceCode, district, districtType, districtCode, ward, wardType, wardCode "
                "FROM admin_units_legacy WHERE (? IS NULL OR provinceCode = ?)",
                (province_code, province_code),
            ).fetchall()
        else:
            rows = connection.execute(
                "SELECT province, provinceCode, NULL, NULL, NULL, ward, wardType, wardCode "
                "FROM admin_units WHERE (? IS NULL OR provinceCode = ?)",
                (province_code, province_code),
            ).fetchall()
    finally:
        connection.close()
    provinces: dict[str, Unit] = {}
    districts: dict[str, Unit] = {}
    communes: dict[str, Unit] = {}
    for province, p_code, district, d_type, d_code, ward, w_type, w_code in rows:
        provinces.setdefault(p_code, Unit(Level.PROVINCE, p_code, province, _province_kind(province), None))
        if d_code:
            districts.setdefault(d_code, Unit(Level.DISTRICT, d_code, district, d_type, p_code))
        if w_code:  # five island districts have no communes
            communes.setdefault(w_code, Unit(Level.COMMUNE, w_code, ward, w_type, d_code or p_code))
    return [*provinces.values(), *districts.values(), *communes.values()]


@transaction.atomic
def import_units(structure: str, province_code: str | None = None) -> ImportResult:
    """Create or update the units of one structure; unchanged units are not touched."""
    valid_from, valid_to = (None, LEGACY_VALID_TO) if structure == Structure.LEGACY else (CURRENT_VALID_FROM, None)
    result = ImportResult()
    units = read_units(structure, province_code)
    existing = {(a.level, a.code): a for a in Area.objects.filter(structure=structure).exclude(level=Level.HAMLET)}
    ids: dict[tuple[str, str], int] = {key: area.pk for key, area in existing.items()}
    parent_level = {Level.DISTRICT: Level.PROVINCE}
    for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE):
        to_create: list[Area] = []
        to_update: list[Area] = []
        for unit in (u for u in units if u.level == level):
            if unit.parent_code is None:
                parent_id = None
            elif level == Level.COMMUNE and structure == Structure.LEGACY:
                parent_id = ids[(Level.DISTRICT, unit.parent_code)]
            else:
                parent_id = ids[(parent_level.get(level, Level.PROVINCE), unit.parent_code)]
            wanted = {
                "name": unit.name,
                "kind": unit.kind,
                "parent_id": parent_id,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
            area = existing.get((level, unit.code))
            if area is None:
                to_create.append(Area(structure=structure, level=level, code=unit.code, **wanted))
            elif any(getattr(area, key) != value for key, value in wanted.items()):
                for key, value in wanted.items():
                    setattr(area, key, value)
                to_update.append(area)
        for area in Area.objects.bulk_create(to_create, batch_size=2000):
            ids[(area.level, area.code)] = area.pk
        Area.objects.bulk_update(to_update, ["name", "kind", "parent_id", "valid_from", "valid_to"], batch_size=2000)
        result.created[level] = len(to_create)
        result.updated[level] = len(to_update)
        result.total[level] = sum(1 for u in units if u.level == level)
    if any(result.created.values()) or any(result.updated.values()):
        rebuild_paths()
    return result
