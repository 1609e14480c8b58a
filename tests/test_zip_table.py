"""The precomputed ZIP table (reference/zip_codes.tsv.gz) says what the zipcodes package says."""

from __future__ import annotations

import zipcodes

from healthcare_data.reference import zip_codes
from scripts.build_zip_table import TARGET, table_lines


def test_table_is_built_from_the_installed_zipcodes_package() -> None:
    import gzip

    stored = gzip.decompress(TARGET.read_bytes()).decode("utf-8").splitlines()
    assert stored == table_lines(), "run: python scripts/build_zip_table.py"


def test_places_by_state_match_the_package_filter() -> None:
    for state in ("TX", "OR", "WY", "DC", "PR"):
        expected = [
            (r["zip_code"], r["city"], r["state"], (r.get("area_codes") or ["555"])[0])
            for r in zipcodes.filter_by(state=state, zip_code_type="STANDARD", active=True)
        ]
        got = [(p.zip, p.city, p.state, p.area_code) for p in zip_codes.places_in(state)]
        assert got == expected, state


def test_lookup_by_zip_matches_the_package() -> None:
    for zip_code in ("62701", "00501", "75001-1234", "99950", "09001"):
        row = zipcodes.matching(zip_code)[0]
        place = zip_codes.place_for_zip(zip_code)
        assert (place.zip, place.city, place.state) == (row["zip_code"], row["city"], row["state"])
        for city in [row["city"], *row["acceptable_cities"]]:
            assert zip_codes.city_matches(zip_code, city.upper())
    assert zip_codes.place_for_zip("00000") is None
    assert zip_codes.place_for_zip("7500") is None
    assert zip_codes.place_for_zip(75001) is None
    assert not zip_codes.city_matches("62701", "Columbus")
