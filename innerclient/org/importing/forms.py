"""Forms of the import pages. They only read input; the pipeline services do the writing."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("XLSX or CSV (UTF-8 or Windows-1251, separated by “;” or “,”)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large: the limit is %(mb)s MB.") % {"mb": limit // 2**20 or 1}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class ApplyForm(forms.Form):
    deactivate_missing = forms.BooleanField(required=False)
    remove_missing = forms.BooleanField(required=False)


class LogOptionsForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    min_count = forms.IntegerField(
        label=_("Minimum requests for a link"), min_value=1, max_value=100000, initial=3
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start of the window is after its end."))
        return data
