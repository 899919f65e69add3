"""Drawing a random sample of reports (R24, §6): plain Python, reproducible from the seed.

The population is a list of (report id, district). It is put in a fixed order (by id) before drawing,
so the same seed and the same population always give the same sample, whatever order the database
returned. Plain: `random.Random(seed).sample(ids, n)`. Stratified: the size is split over the
districts in proportion to their number of reports (largest remainder, Hamilton), then every
district with reports gets at least one when n is at least the number of districts (taken from the
district furthest above its exact share); each district is then drawn in name order from the same
generator.
"""
import math
import random
import re
from dataclasses import dataclass
from fractions import Fraction

SEED_RE = re.compile(r"^[0-9]{1,18}$")
MAX_SEED = 10**18 - 1


class SampleRefused(ValueError):
    """Input that cannot give a sample; the message is German and names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def parse_seed(raw: str) -> int:
    """A seed is a non-negative whole number of at most 18 digits (no sign, no spaces inside)."""
    text = (raw or "").strip()
    if not SEED_RE.fullmatch(text) or not text.isascii():
        raise SampleRefused("seed", "Der Startwert (Seed) muss eine ganze Zahl von 0 bis 999’999’999’999’999’999 "
                                    "sein (nur Ziffern).")
    return int(text)


def sample_size(population: int, count: int | None = None, percent: int | None = None) -> int:
    """n, or p % of the population rounded up (so at least p % are checked); refused when it cannot be drawn."""
    if percent is not None:
        if not 1 <= percent <= 100:
            raise SampleRefused("value", "Der Prozentsatz muss zwischen 1 und 100 liegen.")
        size = math.ceil(Fraction(population * percent, 100))
    else:
        if count is None or count < 1:
            raise SampleRefused("value", "Die Stichprobe muss mindestens 1 Reporting umfassen.")
        size = count
    if population == 0:
        raise SampleRefused("year", "In diesem Jahr gibt es keine akzeptierten Reportings (Grundgesamtheit leer).")
    if size > population:
        raise SampleRefused("value", f"Die Stichprobe ({size}) ist grösser als die Grundgesamtheit "
                                     f"({population} akzeptierte Reportings).")
    return size


def quotas(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Per district the number to draw: proportional with largest remainders, at least 1 each if n allows."""
    total = sum(sizes.values())
    exact = {d: Fraction(n * s, total) for d, s in sizes.items()}
    result = {d: math.floor(share) for d, share in exact.items()}
    rest = n - sum(result.values())
    for district in sorted(sizes, key=lambda d: (-(exact[d] - result[d]), d))[:rest]:
        result[district] += 1
    if n >= len(sizes):
        for district in sorted(d for d in sizes if result[d] == 0):
            donor = max((d for d in sizes if result[d] > 1), key=lambda d: (result[d] - exact[d], d))
            result[donor] -= 1
            result[district] += 1
    return result


@dataclass(frozen=True)
class Drawn:
    report_ids: list[int]  # ascending
    quotas: dict[str, int]  # per district (stratified), else {"": n}


def draw(population: list[tuple[int, str]], seed: int, n: int, stratified: bool = False) -> Drawn:
    """The sample of size n from the population (report id, district) with this seed."""
    ordered = sorted(population)
    rng = random.Random(seed)
    if not stratified:
        return Drawn(sorted(rng.sample([report_id for report_id, _ in ordered], n)), {"": n})
    by_district: dict[str, list[int]] = {}
    for report_id, district in ordered:
        by_district.setdefault(district, []).append(report_id)
    shares = quotas({d: len(ids) for d, ids in by_district.items()}, n)
    chosen = []
    for district in sorted(by_district):
        chosen += rng.sample(by_district[district], shares[district])
    return Drawn(sorted(chosen), dict(sorted(shares.items())))
