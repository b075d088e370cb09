"""Template helpers of the households pages: ``{% if user|may_print_checklist %}`` for the menu link."""

from django import template

from households.views import checklist_allowed

register = template.Library()
register.filter("may_print_checklist", checklist_allowed)
