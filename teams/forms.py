from django import forms
from django.utils.translation import gettext_lazy as _

from areas import policy
from areas.models import Area, Level
from cnscd import forms as clean

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TeamForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Hamlet or commune"), queryset=Area.objects.none())
    name = clean.CharField(label=_("Team name"), max_length=200)
    established_on = forms.DateField(label=_("Founded on"), widget=DATE)
    decision_number = clean.CharField(label=_("Founding decision number"), max_length=100, required=False)
    decision_issuer = clean.CharField(label=_("Decision issued by"), max_length=200, required=False)
    zalo_group_url = forms.URLField(label=_("Zalo group link"), required=False, assume_scheme="https")
    notes = clean.TextField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = (
            policy.areas(user, "team", "add")
            .current()
            .filter(level__in=[Level.HAMLET, Level.COMMUNE])
            .select_related("parent")
            .order_by("path")
        )
        self.fields["area"].label_from_instance = lambda a: (
            f"{a.parent.name} › {a.name}" if a.level == Level.HAMLET else a.name
        )


class DissolveForm(forms.Form):
    dissolved_on = forms.DateField(label=_("Dissolved on"), widget=DATE)
