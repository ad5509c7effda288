"""What notebook 01's text claims about its measurements, checked on what it printed.

tests/test_notebooks.py runs each ``claim_*`` function on the executed notebook's output.
"""


def claim_the_lstm_without_attention_collapses_at_length_20_or_more(printed):
    """The LSTM encoder-decoder without attention gets at most 60% of the tokens right once the
    sequences reach 20 tokens."""
    length, accuracy = printed.result("without attention")
    assert length >= 20, f"the sweep must reach 20 tokens, got {length}"
    assert 0.0 <= accuracy <= 60.0, f"{accuracy}% token accuracy, not in [0, 60]"
