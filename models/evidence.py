"""A document an officer uploaded for a sampled report (R24). The file lies outside static/ under a random name."""
from peewee import Check, DateTimeField, ForeignKeyField, IntegerField, TextField

from .base import BaseModel
from .sample_item import SampleItem
from .user import User, utcnow

EVIDENCE_TYPES = {"application/pdf": "PDF", "image/png": "PNG-Bild", "image/jpeg": "JPEG-Bild"}


class Evidence(BaseModel):
    item = ForeignKeyField(SampleItem, backref="evidence", on_delete="RESTRICT")
    original_name = TextField()  # sanitised, for display only; never a path
    stored_name = TextField(unique=True)  # random token: the only name on disk
    content_type = TextField(constraints=[Check(
        "content_type IN ('application/pdf', 'image/png', 'image/jpeg')")])  # detected from the bytes
    size = IntegerField(constraints=[Check("size > 0")])
    sha256 = TextField()
    uploaded_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    uploaded_at = DateTimeField(default=utcnow)

    @property
    def municipality_id(self) -> int:
        return self.item.municipality_id  # the policy's OWN check (R12)

    def __str__(self):
        return self.original_name
