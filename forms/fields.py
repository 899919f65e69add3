"""Form fields shared by the admin and the portal."""
from decimal import Decimal, InvalidOperation

from wtforms import DecimalField
from wtforms.validators import StopValidation

from core.text import text_problem


class CHFField(DecimalField):
    """A CHF amount as Decimal with at most 2 places; accepts Swiss thousands separators (1’234.50)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("places", 2)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip().replace("’", "").replace("'", "").replace(" ", "")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError("Bitte einen Betrag in CHF angeben, z. B. 1’234.50.") from None
        if not value.is_finite() or value.as_tuple().exponent < -2 or abs(value) >= Decimal("1e11"):
            self.data = None
            raise ValueError("Bitte einen Betrag in CHF mit höchstens zwei Nachkommastellen angeben.")
        self.data = value


class TextRule:
    """The one text rule (core/text.py) as a WTForms validator: the same in the portal, the admin and imports."""

    def __init__(self, multiline: bool = False, allow_formula_prefix: bool = False):
        self.multiline, self.allow_formula_prefix = multiline, allow_formula_prefix

    def __call__(self, form, field):
        problem = text_problem(field.data, self.multiline, self.allow_formula_prefix)
        if problem:
            raise StopValidation(problem)
