"""Roster and tree triggers queue work only when rows really changed (statement-level triggers also fire for
statements that touch no row), and the tree trigger no longer reads a NEW table on DELETE."""

from django.db import migrations

FORWARD = """
DROP TRIGGER reports_dirty_team ON teams_team;
DROP TRIGGER reports_dirty_member ON members_member;
DROP TRIGGER reports_dirty_area_insert ON areas_area;
DROP TRIGGER reports_dirty_area_update ON areas_area;
DROP TRIGGER reports_dirty_area_delete ON areas_area;
DROP FUNCTION reports_dirty_roster();
DROP FUNCTION reports_dirty_tree();

CREATE FUNCTION reports_dirty_roster_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows) THEN INSERT INTO reports_dirty (kind) VALUES ('r'); END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION reports_dirty_roster_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows) THEN INSERT INTO reports_dirty (kind) VALUES ('r'); END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION reports_dirty_tree_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.path IS DISTINCT FROM o.path OR n.valid_from IS DISTINCT FROM o.valid_from
           OR n.valid_to IS DISTINCT FROM o.valid_to
    ) THEN
        INSERT INTO reports_dirty (kind) VALUES ('t');
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION reports_dirty_tree_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows) THEN INSERT INTO reports_dirty (kind) VALUES ('t'); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER reports_dirty_team_insert AFTER INSERT ON teams_team
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster_new();
CREATE TRIGGER reports_dirty_team_update AFTER UPDATE ON teams_team
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster_new();
CREATE TRIGGER reports_dirty_team_delete AFTER DELETE ON teams_team
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster_old();
CREATE TRIGGER reports_dirty_member_insert AFTER INSERT ON members_member
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster_new();
CREATE TRIGGER reports_dirty_member_update AFTER UPDATE ON members_member
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster_new();
CREATE TRIGGER reports_dirty_member_delete AFTER DELETE ON members_member
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster_old();
CREATE TRIGGER reports_dirty_area_insert AFTER INSERT ON areas_area
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_roster_new();
CREATE TRIGGER reports_dirty_area_update AFTER UPDATE ON areas_area
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_tree_update();
CREATE TRIGGER reports_dirty_area_delete AFTER DELETE ON areas_area
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_dirty_tree_delete();
"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_dirty_triggers_and_catalogue")]

    operations = [migrations.RunSQL(FORWARD)]
