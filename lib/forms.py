"""Form fields and a model form that apply lib.text and lib.images to what people submit."""

from django import forms
from django.db import models

from lib.images import ImageRefused, image_clean
from lib.text import TextRefused, multi_line_clean, single_line_clean


class SingleLineField(forms.CharField):
    """Text on one line: no line breaks, control or format characters, something visible."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return single_line_clean(value)
        except TextRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None


class MultiLineField(forms.CharField):
    """Text of several lines: as SingleLineField, but line breaks (as \\n) and tabs are kept."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return multi_line_clean(value)
        except TextRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None


class CleanImageField(forms.ImageField):
    """An uploaded image, stored only as lib.images.image_clean re-encodes it.

    Django's own ImageField opens the file with every decoder Pillow has and keeps the
    original bytes; this one lets only the formats image_clean allows near the file.
    `fit` bounds the stored image's longer side (see image_clean).
    """

    def __init__(self, *args, fit: int | None = None, **kwargs):
        self.fit = fit
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if "accept" in attrs:  # a file chooser offers what will be accepted
            attrs["accept"] = "image/jpeg,image/png,image/webp,image/gif"
        return attrs

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        try:
            return image_clean(upload, fit=self.fit)
        except ImageRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None


def _text_rule(model_field):
    if isinstance(model_field, models.TextField):
        return multi_line_clean
    if isinstance(model_field, models.CharField) and not model_field.choices:
        return single_line_clean
    return None


class CleanModelForm(forms.ModelForm):
    """A model form for the staff area: every text column keeps to lib.text's rules.

    A CharField holds one line, a TextField several. The rules are applied by column type,
    so a field added to a model later is covered without anyone remembering it. (Image
    columns name CleanImageField in their form's Meta.field_classes; a test checks it.)
    """

    def clean(self):
        cleaned_data = super().clean()
        model_fields = {field.name: field for field in self._meta.model._meta.get_fields()}
        for name, value in list(cleaned_data.items()):
            rule = _text_rule(model_fields.get(name))
            if rule is None or not isinstance(value, str):
                continue
            try:
                cleaned_data[name] = rule(value)
            except TextRefused as refused:
                self.add_error(name, forms.ValidationError(refused.message, code=refused.code))
        return cleaned_data
