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
