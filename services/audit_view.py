"""The audit log as people read it (issue 18): German action and object, the object by its name.

`object_names` looks the records of one page up in one query per kind of record, so a page of the log costs
a constant number of queries; a deleted record is named by its kind and number.
"""
from models import ALL_MODELS, Municipality
from models.labels import label

_BY_NAME = {model.__name__: model for model in ALL_MODELS}


def _name(obj) -> str:
    if isinstance(obj, Municipality):
        return f"{obj.name} ({obj.bfs_nr})"
    return str(obj)


def object_names(entries) -> dict[int, str]:
    """entry id -> "Gemeinde Grenchen (2546)" for the given audit entries."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.model in _BY_NAME and entry.record_id.isdigit():
            wanted.setdefault(entry.model, set()).add(int(entry.record_id))
    found: dict[tuple[str, int], str] = {}
    for model_name, ids in wanted.items():
        model = _BY_NAME[model_name]
        for obj in model.select().where(model._meta.primary_key.in_(list(ids))):
            found[(model_name, obj._pk)] = _name(obj)
    names = {}
    for entry in entries:
        kind = label("model", entry.model) if entry.model else "–"
        key = (entry.model, int(entry.record_id)) if entry.record_id.isdigit() else None
        if key in found:
            names[entry.id] = f"{kind} {found[key]}"
        elif entry.record_id:
            names[entry.id] = f"{kind} Nr. {entry.record_id}" + (" (gelöscht)" if entry.action != "delete" and key
                                                                  else "")
        else:
            names[entry.id] = kind
    return names
