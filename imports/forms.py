from django import forms
from django.utils.translation import gettext_lazy as _

KIND_LABELS = {
    "hamlets": _("Hamlets"),
    "members": _("Team members (roster)"),
    "households": _("Households"),
    "targets": _("Targets (province administrators)"),
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file contains"), choices=list(KIND_LABELS.items()))
    file = forms.FileField(
        label=_("Excel (.xlsx) or CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    dry_run = forms.BooleanField(label=_("Check only (dry run): save nothing"), required=False, initial=True)
