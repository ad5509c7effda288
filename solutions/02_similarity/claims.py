"""What notebook 02's text claims about its measurements, checked on what it printed.

tests/test_notebooks.py runs each ``claim_*`` function on the executed notebook's output.
"""

import re

# The random-cosine table of exercise 2.5: d | mean | std | 1/sqrt(d) | share with |cos| > 0.3
COSINE_ROW = re.compile(
    r"^\s*(?P<d>\d+) \| +(?P<mean>[+-][\d.]+) \| +(?P<std>[\d.]+) \| +(?P<ref>[\d.]+) "
    r"\| +(?P<share>[\d.]+)%$",
    re.M,
)


def claim_random_cosines_gather_at_zero_with_spread_one_over_sqrt_d(printed):
    """The mean stays at 0; the standard deviation follows 1/sqrt(d) to the third decimal (0.058
    at d = 300); seven pairs in ten or more have |cos| > 0.3 for d = 2 and 3, almost none from
    d = 100 on (exercise 2.5, "Reading the measurement")."""
    rows = {int(m["d"]): m for m in COSINE_ROW.finditer(printed.text)}
    assert sorted(rows) == [2, 3, 10, 30, 100, 300, 1000], f"the table was not printed: {rows}"
    for d, row in rows.items():
        assert abs(float(row["mean"])) <= 0.01, (d, row["mean"])
        assert abs(float(row["std"]) - d**-0.5) <= 0.0015, (d, row["std"])
    assert float(rows[300]["std"]) == 0.058
    assert float(rows[2]["share"]) >= 70 and float(rows[3]["share"]) >= 70
    assert all(float(rows[d]["share"]) < 1 for d in (100, 300, 1000))
