"""lib.csvsafe: cells a spreadsheet would run as formulas are neutralised."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.csvsafe import FORMULA_PREFIXES, Echo, csv_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_it_prefixes_formula_cells_with_a_quote(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize(("value", "expected"), [(None, ""), (7, "7"), (True, "True")])
def test_it_turns_other_values_into_text(value, expected):
    assert csv_cell(value) == expected


@given(st.text())
def test_no_cell_starts_with_a_formula_character(text):
    assert not csv_cell(text).startswith(FORMULA_PREFIXES)


@given(st.text())
def test_it_changes_only_formula_cells_and_only_by_the_prefix(text):
    cell = csv_cell(text)

    if text.startswith(FORMULA_PREFIXES):
        assert cell == "'" + text
    else:
        assert cell == text


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_rows_written_through_echo_read_back_intact(values):
    line = csv.writer(Echo()).writerow([csv_cell(v) for v in values])

    [row] = list(csv.reader(io.StringIO(line, newline="")))

    assert row == [csv_cell(v) for v in values]
