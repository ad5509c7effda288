"""What notebook 04's text claims about its measurements, checked on what it printed.

tests/test_notebooks.py runs each ``claim_*`` function on the executed notebook's output.
"""

import re

# The sqrt(d_k) table: d_k | variance | max weight | entropy | median grad (raw, scaled)
DK_ROW = re.compile(
    r"^\s*(?P<dk>\d+) \| +(?P<var_raw>[\d.]+) +(?P<var_scaled>[\d.]+) \| +(?P<max_raw>[\d.]+) "
    r"+(?P<max_scaled>[\d.]+) \| +[\d.]+ +[\d.]+ \| +(?P<grad_raw>[\d.e+-]+) "
    r"+(?P<grad_scaled>[\d.e+-]+) \|",
    re.M,
)


def claim_scaling_by_sqrt_dk_keeps_the_variance_near_one_and_the_gradient_alive(printed):
    """Raw scores have variance ~d_k, saturate the softmax and kill the gradient; scaled scores
    keep variance ~1 and the gradient alive (its prose and recap)."""
    rows = {int(m["dk"]): m for m in DK_ROW.finditer(printed.text)}
    assert 1024 in rows and 1 in rows, f"the d_k table was not printed: {sorted(rows)}"
    big = rows[1024]
    assert 800 < float(big["var_raw"]) < 1300
    assert 0.8 < float(big["var_scaled"]) < 1.2
    assert float(big["max_raw"]) > 0.9 and float(big["max_scaled"]) < 0.5
    assert float(big["grad_raw"]) < 1e-4 < float(big["grad_scaled"])


def claim_a_fresh_linear_layer_gives_queries_of_variance_a_third_and_scores_of_d_k_over_9(printed):
    """Section 3, after exercise 4.1: "The queries come out with variance about 1/3 (0.33
    measured) and the scores with about 64/9 = 7.1 (7.16 measured), not 64"."""
    m = printed.search(
        r"fresh nn.Linear\(64, 64\): query variance (?P<q>[\d.]+), score variance (?P<s>[\d.]+)"
    )
    assert abs(float(m["q"]) - 0.33) <= 0.005, m["q"]
    assert abs(float(m["s"]) - 7.16) <= 0.005, m["s"]
