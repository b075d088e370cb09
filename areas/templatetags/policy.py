"""``{% load policy %}{% if user|may:"household.checklist" %}``: menus and buttons ask the access policy."""

from django import template

from areas import policy

register = template.Library()


@register.filter
def may(user, rule: str) -> bool:
    """Whether ``user`` may take the policy action ``"model.action"`` anywhere in their scope."""
    model, _dot, action = rule.partition(".")
    return policy.permits(user, model, action)
