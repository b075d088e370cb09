"""Moving what was recorded under former communes to their successors (the 01/07/2025 reorganisation).

The old → new commune mapping comes from ``converter_2025.json`` in the ``vietnamadminunits`` package; a
commune that was split goes to the package's default successor. Hamlets move with everything recorded under
them (teams, households, visits follow their hamlet through their foreign key); records placed on the former
commune itself (a commune-level team, a one-stop-desk visit, a role) are pointed at the successor. Paths are
rewritten in the same transaction. Nothing is copied, so nothing is counted twice; a re-run moves nothing.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction

from areas.importers import dataset_path
from areas.models import Area, Level, Structure, rebuild_paths


def successor_codes() -> dict[str, str]:
    """Legacy commune code → code of its successor commune in the current structure."""
    connection = sqlite3.connect(f"file:{dataset_path()}?mode=ro", uri=True)
    try:
        old_codes = {
            f"{p}_{d}_{w}": code
            for p, d, w, code in connection.execute(
                "SELECT provinceKey, districtKey, wardKey, wardCode FROM admin_units_legacy WHERE wardCode IS NOT NULL"
            )
        }
        new_codes = {
            (p, w): code for p, w, code in connection.execute("SELECT provinceKey, wardKey, wardCode FROM admin_units")
        }
    finally:
        connection.close()
    converter = json.loads((dataset_path().parent / "converter_2025.json").read_text())
    mapping: dict[str, str] = {}
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            for old_key in old_keys:
                if old_key in old_codes:  # island districts without communes appear as "province_district_"
                    mapping[old_codes[old_key]] = new_codes[(province_key, ward_key)]
    for province_key, old_wards in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, candidates in old_wards.items():
            if old_key not in old_codes:
                continue
            default = next((c for c in candidates if c["isDefaultNewWard"]), candidates[0])
            mapping[old_codes[old_key]] = new_codes[(province_key, default["newWardKey"])]
    return mapping


def _area_references() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) pointing at an Area, except the tree itself, the audit history and the reports app:
    its KPI tables are recomputed from the moved records (a tree change queues a full rollup), and a former
    commune's targets and monthly reports describe that commune as it was, so they stay with it."""
    references = []
    for model in apps.get_models():
        if model is Area or model.__name__.endswith("Event") or model._meta.app_label in ("pghistory", "reports"):
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.ForeignKey) and model_field.related_model is Area:
                references.append((model, model_field.name))
    return references


@dataclass
class Move:
    old: Area
    new: Area
    hamlets: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def apply_reorganization() -> list[Move]:
    """Move hamlets and records of former communes to their successors; returns what moved."""
    mapping = successor_codes()
    successors = {
        a.code: a
        for a in Area.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE, code__in=set(mapping.values()))
    }
    references = _area_references()
    moves: list[Move] = []
    former = Area.objects.filter(structure=Structure.LEGACY, level=Level.COMMUNE, code__in=mapping.keys())
    for old in former.order_by("code"):
        new = successors.get(mapping[old.code])
        if new is None:
            continue  # the successor's province is not imported
        move = Move(old=old, new=new)
        taken = {n.lower() for n in new.children.filter(level=Level.HAMLET).values_list("name", flat=True)}
        for hamlet in old.children.filter(level=Level.HAMLET).order_by("name"):
            name = hamlet.name
            if name.lower() in taken:
                name = f"{hamlet.name} ({old.name})"
                move.renamed.append((hamlet.name, name))
            taken.add(name.lower())
            hamlet.parent, hamlet.name, hamlet.structure = new, name, Structure.CURRENT
            hamlet.valid_from, hamlet.valid_to = new.valid_from, new.valid_to
            hamlet.save()
            move.hamlets.append(name)
        for model, field_name in references:
            moved = model._default_manager.filter(**{field_name: old}).update(**{field_name: new})
            if moved:
                move.records[model._meta.label] = moved
        if move.hamlets or move.records:
            moves.append(move)
    if moves:
        rebuild_paths()
    return moves
