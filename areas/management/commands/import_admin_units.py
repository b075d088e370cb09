from django.core.management.base import BaseCommand, CommandError

from areas.importers import import_units
from areas.models import Structure


class Command(BaseCommand):
    help = "Load the real administrative units (legacy and/or current structure) from the vietnamadminunits package."

    def add_arguments(self, parser):
        parser.add_argument("--structure", choices=["legacy", "current", "both"], default="both")
        parser.add_argument("--province", metavar="CODE", help="only this province code (e.g. 80)")

    def handle(self, *args, structure, province, **options):
        structures = [Structure.LEGACY, Structure.CURRENT] if structure == "both" else [structure]
        for item in structures:
            result = import_units(item, province)
            if province and not result.total.get("province"):
                raise CommandError(f"No province with code {province} in the {item} structure.")
            parts = ", ".join(
                f"{level}: {result.total[level]} ({result.created[level]} new, {result.updated[level]} changed)"
                for level in result.total
                if result.total[level]
            )
            self.stdout.write(f"{item}: {parts}")
