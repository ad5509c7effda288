"""What notebook 06's text claims about its measurements, checked on what it printed.

tests/test_notebooks.py runs each ``claim_*`` function on the executed notebook's output.
"""


def claim_without_attention_the_lstm_collapses_at_length_20_or_more(printed):
    """The LSTM without attention gets at most 60% of the tokens right at the longest length."""
    length, accuracy = printed.result("without attention")
    assert length >= 20, f"the sweep must reach 20 tokens, got {length}"
    assert 0.0 <= accuracy <= 60.0, f"{accuracy}% token accuracy, not in [0, 60]"


def claim_with_attention_the_lstm_stays_above_95_percent(printed):
    """The LSTM with attention keeps at least 95% token accuracy at the longest length."""
    length, accuracy = printed.result("with attention")
    assert length >= 20, f"the sweep must reach 20 tokens, got {length}"
    assert 95.0 <= accuracy <= 100.0, f"{accuracy}% token accuracy, not in [95, 100]"


def claim_the_transformer_reaches_99_percent_at_the_longest_length(printed):
    """The Transformer reaches at least 99% token accuracy at the longest length."""
    length, accuracy = printed.result("Transformer")
    assert length >= 20, f"the sweep must reach 20 tokens, got {length}"
    assert 99.0 <= accuracy <= 100.0, f"{accuracy}% token accuracy, not in [99, 100]"


def claim_the_transformer_needs_more_steps_to_99_percent_than_the_lstm_with_attention(printed):
    """Section 8's table: the LSTM with attention reaches 99% (teacher forced, 50-step mean) in
    fewer steps than the Transformer; the LSTM without attention never does."""
    steps = {}
    for label in ("LSTM without attention", "LSTM with attention", "Transformer"):
        row = printed.search(rf"^{label} +([\d,]+) +(\d+) +[\d.]+ +\| +(never|\d+)")
        steps[label] = row.group(3)
    assert steps["LSTM without attention"] == "never", steps
    assert int(steps["LSTM with attention"]) < int(steps["Transformer"]), steps


def claim_beyond_the_training_lengths_the_transformer_falls_to_chance(printed):
    """Section 9: at least 99% up to length 24, at most 20% (chance is 10%) at 28 and 48."""
    row = printed.search(r"^Beyond training, Transformer: (.*)$").group(1)
    acc = {int(k): float(v) for k, v in (item.split(": ") for item in row.rstrip("%").split("%, "))}
    assert acc[24] >= 99.0, acc
    assert acc[28] <= 20.0 and acc[48] <= 20.0, acc


def claim_beyond_the_training_lengths_the_lstm_with_attention_degrades_gradually(printed):
    """Section 9: the LSTM with attention stays above 50% at 28 and falls below 40% by 48."""
    row = printed.search(r"^Beyond training, LSTM with attention: (.*)$").group(1)
    acc = {int(k): float(v) for k, v in (item.split(": ") for item in row.rstrip("%").split("%, "))}
    assert acc[28] >= 50.0 and acc[48] <= 40.0, acc
