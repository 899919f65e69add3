"""R24, §6: drawing a random sample is reproducible from its seed; stratification sums; refusals (pure, no database)."""
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.sampling import SampleRefused, draw, parse_seed, quotas, sample_size

DISTRICTS = ["Bucheggberg", "Dorneck", "Gäu", "Lebern", "Solothurn", "Thal"]


@st.composite
def populations(draw_):
    ids = draw_(st.lists(st.integers(1, 10**6), min_size=1, max_size=80, unique=True))
    return [(i, draw_(st.sampled_from(DISTRICTS))) for i in ids]


@given(population=populations(), seed=st.integers(0, 10**18 - 1), data=st.data(), stratified=st.booleans())
def test_r24_same_seed_and_population_give_the_same_sample_in_any_order(population, seed, data, stratified):
    """R24: the recorded seed reproduces the sample, whatever order the database returns the population in."""
    n = data.draw(st.integers(1, len(population)))
    shuffled = data.draw(st.permutations(population))
    first = draw(population, seed, n, stratified)
    again = draw(list(shuffled), seed, n, stratified)
    assert first == again
    assert len(first.report_ids) == n == len(set(first.report_ids))
    assert set(first.report_ids) <= {i for i, _ in population}
    assert first.report_ids == sorted(first.report_ids)


def test_r24_the_algorithm_is_pinned_by_known_values():
    """R24: a sample of an earlier year stays reproducible: these values may never change with a code change."""
    plain = draw([(i, "") for i in range(1, 21)], 42, 5)
    assert plain.report_ids == [1, 4, 8, 9, 17]
    districts = [(i, "A" if i <= 12 else "B" if i <= 18 else "C") for i in range(1, 21)]
    stratified = draw(districts, 42, 5, stratified=True)
    assert stratified.report_ids == [1, 2, 11, 18, 20]
    assert stratified.quotas == {"A": 3, "B": 1, "C": 1}


def test_r24_another_seed_gives_another_sample():
    population = [(i, "") for i in range(1, 101)]
    assert draw(population, 1, 10).report_ids != draw(population, 2, 10).report_ids


@given(sizes=st.dictionaries(st.sampled_from(DISTRICTS), st.integers(1, 60), min_size=1), data=st.data())
def test_r24_stratified_quotas_sum_to_n_stay_proportional_and_cover_every_district(sizes, data):
    """R24: per district in proportion (largest remainder); at least one per district when n ≥ districts."""
    n = data.draw(st.integers(1, sum(sizes.values())))
    result = quotas(sizes, n)
    total = sum(sizes.values())
    assert sum(result.values()) == n
    assert all(0 <= result[d] <= sizes[d] for d in sizes)
    if n >= len(sizes):
        assert all(result[d] >= 1 for d in sizes)
    else:  # pure Hamilton: every district within one of its exact share
        assert all(abs(result[d] - Fraction(n * sizes[d], total)) < 1 for d in sizes)


@given(population=populations(), seed=st.integers(0, 1000), data=st.data())
def test_r24_stratified_sample_draws_each_districts_quota_from_that_district(population, seed, data):
    n = data.draw(st.integers(1, len(population)))
    drawn = draw(population, seed, n, stratified=True)
    district_of = dict(population)
    for district, quota in drawn.quotas.items():
        assert sum(1 for i in drawn.report_ids if district_of[i] == district) == quota


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "1e3", " ", "", "１２", "٣", "12 3", "1" * 19, "0x10", "+5"])
def test_r24_a_seed_that_is_not_a_whole_number_is_refused_in_german(raw):
    with pytest.raises(SampleRefused, match="Startwert") as refused:
        parse_seed(raw)
    assert refused.value.field == "seed"


def test_r24_a_seed_of_digits_is_read_as_a_number():
    assert parse_seed(" 007 ") == 7
    assert parse_seed("9" * 18) == 10**18 - 1


def test_r24_sample_size_by_count_or_percent_rounded_up():
    assert sample_size(25, count=25) == 25
    assert sample_size(25, percent=10) == 3  # 2.5 rounded up: at least 10 % are checked
    assert sample_size(25, percent=100) == 25
    assert sample_size(1, percent=1) == 1


@pytest.mark.parametrize("population, count, percent, message", [
    (10, 11, None, "grösser als die Grundgesamtheit"),
    (10, 0, None, "mindestens 1"),
    (10, None, 0, "zwischen 1 und 100"),
    (10, None, 101, "zwischen 1 und 100"),
    (0, 1, None, "keine akzeptierten Reportings"),
])
def test_r24_a_sample_that_cannot_be_drawn_is_refused(population, count, percent, message):
    with pytest.raises(SampleRefused, match=message):
        sample_size(population, count=count, percent=percent)
