"""What notebook 03's text claims about its measurements, checked on what it printed.

tests/test_notebooks.py runs each ``claim_*`` function on the executed notebook's output.
"""


def claim_without_attention_the_lstm_collapses_at_length_20_or_more(printed):
    """Without attention the LSTM encoder-decoder gets at most 60% of the tokens right at 20
    tokens and beyond."""
    length, accuracy = printed.result("without attention")
    assert length >= 20, f"the sweep must reach 20 tokens, got {length}"
    assert 0.0 <= accuracy <= 60.0, f"{accuracy}% token accuracy, not in [0, 60]"


def claim_with_attention_the_lstm_stays_above_95_percent(printed):
    """With attention the same model keeps at least 95% token accuracy at the longest length."""
    length, accuracy = printed.result("with attention")
    assert length >= 20, f"the sweep must reach 20 tokens, got {length}"
    assert 95.0 <= accuracy <= 100.0, f"{accuracy}% token accuracy, not in [95, 100]"
