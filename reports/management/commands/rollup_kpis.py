from django.core.management.base import BaseCommand

from reports import rollup


class Command(BaseCommand):
    help = "Run the KPI rollup to completion in the foreground (incremental; --full recomputes everything)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="recompute every KPI from scratch")

    def handle(self, *args, full=False, **options):
        result = rollup.rollup_full() if full else rollup.rollup_incremental()
        self.stdout.write(f"{result.kind} rollup: {result.rows:,} rows in {result.seconds:.2f} s")
