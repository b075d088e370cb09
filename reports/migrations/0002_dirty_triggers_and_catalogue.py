"""Triggers that queue what changed for the incremental rollup, and the indicator catalogue.

Statement-level triggers with transition tables: one insert per statement, whatever its size, so bulk syncs,
imports and reorganisations are caught at the cost of one small insert.
"""

from django.db import migrations

TRIGGERS = """
CREATE FUNCTION reports_dirty_visits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO reports_dirty (kind, area_id, day) SELECT DISTINCT 'v', area_id, date FROM new_rows;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO reports_dirty (kind, area_id, day) SELECT DISTINCT 'v', area_id, date FROM old_rows;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reports_dirty_visit_insert AFTER INSERT ON households_visit
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_visits();
CREATE TRIGGER reports_dirty_visit_update AFTER UPDATE ON households_visit
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_visits();
CREATE TRIGGER reports_dirty_visit_delete AFTER DELETE ON households_visit
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_visits();

CREATE FUNCTION reports_dirty_activities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO reports_dirty (kind, area_id, day)
        SELECT DISTINCT 'v', v.area_id, v.date FROM new_rows n JOIN households_visit v ON v.id = n.visit_id;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO reports_dirty (kind, area_id, day)
        SELECT DISTINCT 'v', v.area_id, v.date FROM old_rows o JOIN households_visit v ON v.id = o.visit_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reports_dirty_activity_insert AFTER INSERT ON households_visitactivity
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_activities();
CREATE TRIGGER reports_dirty_activity_update AFTER UPDATE ON households_visitactivity
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_activities();
CREATE TRIGGER reports_dirty_activity_delete AFTER DELETE ON households_visitactivity
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_activities();

CREATE FUNCTION reports_dirty_roster() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_dirty (kind) VALUES ('r');
    RETURN NULL;
END $$;
CREATE TRIGGER reports_dirty_team AFTER INSERT OR UPDATE OR DELETE ON teams_team
    FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster();
CREATE TRIGGER reports_dirty_member AFTER INSERT OR UPDATE OR DELETE ON members_member
    FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster();
CREATE TRIGGER reports_dirty_area_insert AFTER INSERT ON areas_area
    FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster();

CREATE FUNCTION reports_dirty_tree() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR EXISTS (
        SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.path IS DISTINCT FROM o.path OR n.valid_from IS DISTINCT FROM o.valid_from
           OR n.valid_to IS DISTINCT FROM o.valid_to
    ) THEN
        INSERT INTO reports_dirty (kind) VALUES ('t');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reports_dirty_area_update AFTER UPDATE ON areas_area
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_tree();
CREATE TRIGGER reports_dirty_area_delete AFTER DELETE ON areas_area
    FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_tree();
"""

UNDO = """
DROP TRIGGER reports_dirty_visit_insert ON households_visit;
DROP TRIGGER reports_dirty_visit_update ON households_visit;
DROP TRIGGER reports_dirty_visit_delete ON households_visit;
DROP TRIGGER reports_dirty_activity_insert ON households_visitactivity;
DROP TRIGGER reports_dirty_activity_update ON households_visitactivity;
DROP TRIGGER reports_dirty_activity_delete ON households_visitactivity;
DROP TRIGGER reports_dirty_team ON teams_team;
DROP TRIGGER reports_dirty_member ON members_member;
DROP TRIGGER reports_dirty_area_insert ON areas_area;
DROP TRIGGER reports_dirty_area_update ON areas_area;
DROP TRIGGER reports_dirty_area_delete ON areas_area;
DROP FUNCTION reports_dirty_visits(); DROP FUNCTION reports_dirty_activities();
DROP FUNCTION reports_dirty_roster(); DROP FUNCTION reports_dirty_tree();
"""

# code, Vietnamese name, English name, unit, aggregation, description
INDICATORS = [
    ("teams", "Số Tổ CNSCĐ đang hoạt động", "Active teams", "tổ", "stock",
     "Teams founded on or before the end of the period and not dissolved by then."),
    ("members", "Số thành viên", "Active members", "người", "stock",
     "Members of active teams who had joined and not left by the end of the period."),
    ("members_trained", "Số thành viên đã hoàn thành khóa học kỹ năng số", "Trained members", "người", "stock",
     "Active members who finished the course 'Phổ cập kỹ năng số cộng đồng' by the end of the period."),
    ("hamlets", "Số thôn, ấp, khu phố", "Hamlets", "thôn/ấp", "stock", "Hamlets valid at the end of the period."),
    ("hamlets_with_team", "Số thôn, ấp có Tổ CNSCĐ", "Hamlets with an active team", "thôn/ấp", "stock",
     "Hamlets with an active team at the end of the period."),
    ("hamlet_coverage", "Tỷ lệ thôn, ấp có Tổ CNSCĐ", "Hamlet coverage", "%", "ratio",
     "hamlets_with_team / hamlets × 100, at the end of the period."),
    ("households_visited", "Số hộ gia đình được hướng dẫn", "Households visited", "hộ", "distinct",
     "Distinct households with at least one visit in the period (not the sum of months)."),
    ("visits", "Số lượt hỗ trợ", "Visits", "lượt", "sum", "Visits logged in the period."),
]


def create_catalogue(apps, schema_editor):
    Indicator = apps.get_model("reports", "Indicator")
    ActivityType = apps.get_model("households", "ActivityType")
    for order, (code, name_vi, name_en, unit, aggregation, description) in enumerate(INDICATORS, start=1):
        Indicator.objects.update_or_create(
            code=code,
            defaults={"name_vi": name_vi, "name_en": name_en, "unit": unit, "aggregation": aggregation,
                      "description": description, "order": order},
        )  # fmt: skip
    for activity in ActivityType.objects.all():
        Indicator.objects.update_or_create(
            code=activity.code,
            defaults={"name_vi": activity.name_vi, "name_en": activity.name_en, "unit": "người",
                      "aggregation": "sum", "activity_type": activity, "order": 100 + activity.order,
                      "description": "Sum of the quantities (people helped) of this activity in the period."},
        )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("households", "0002_activity_catalogue"),
        ("teams", "0002_dissolved_on_matches_status"),
        ("members", "0003_training_sessions_and_roster_rules"),
        ("areas", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(TRIGGERS, UNDO),
        migrations.RunPython(create_catalogue, migrations.RunPython.noop),
    ]
