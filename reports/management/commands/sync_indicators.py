from django.core.management.base import BaseCommand

from reports import services


class Command(BaseCommand):
    help = (
        "Give every activity type without one its indicator. Run after `migrate` on each release (the deploy and "
        "`make run` do): reads of the catalogue never write it."
    )

    def handle(self, *args, **options):
        added = services.indicators_sync()
        self.stdout.write(f"{added} indicators added." if added else "The indicator catalogue is complete.")
