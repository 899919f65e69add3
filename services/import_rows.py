"""Shared pieces of the imports: the result, per-row parsing with line numbers, upsert on the natural key."""
from dataclasses import dataclass, field

from . import tabular
from .audit import record, snapshot
from .errors import DomainError

IMPORT_REASON = "Import"


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} Fehler, nichts gespeichert."
        verb = "würden" if self.dry_run else "wurden"
        return (f"{self.rows} Zeilen: {self.created} neu, {self.updated} geändert, "
                f"{self.unchanged} unverändert ({verb} gespeichert)." if not self.dry_run else
                f"Probelauf: {self.rows} Zeilen, {self.created} neu, {self.updated} geändert, "
                f"{self.unchanged} unverändert; nichts gespeichert.")


def parse_rows(rows, result, parse_one, key_of):
    seen: dict = {}
    parsed = []
    for line, row in rows:
        try:
            item = parse_one(row)
        except tabular.CellError as exc:
            result.errors.append((line, str(exc)))
            continue
        key = key_of(item)
        if key in seen:
            result.errors.append((line, f"Doppelte Zeile (gleich wie Zeile {seen[key]})."))
            continue
        seen[key] = line
        parsed.append((line, item))
    return parsed


def upsert(model, instance, values, actor, result, cache, key, count=True):
    """Create or update one row on its natural key; counts only the file's own rows."""
    if instance is None:
        instance = model.create(**values)
        cache[key] = instance
        record(actor, "create", instance, after=snapshot(instance), reason=IMPORT_REASON)
        result.created += count
        return instance
    before = snapshot(instance)
    for name, value in values.items():
        setattr(instance, name, value)
    after = snapshot(instance)
    if after == before:
        result.unchanged += count
        return instance
    instance.save()
    record(actor, "update", instance, before=before, after=after, reason=IMPORT_REASON)
    result.updated += count
    return instance


def checked(line, result, check, instance):
    try:
        check(instance)
    except DomainError as exc:
        result.errors.append((line, exc.message))


def version_on(versions, day):
    valid = [v for v in versions if v.covers(day)]
    return max(valid, key=lambda v: v.valid_from) if valid else None
