"""What notebook 01's text claims about its measurements, checked on what it printed.

tests/test_notebooks.py runs each ``claim_*`` function on the executed notebook's output.
"""


def claim_the_lstm_without_attention_collapses_at_length_20_or_more(printed):
    """The LSTM encoder-decoder without attention gets at most 60% of the tokens right once the
    sequences reach 20 tokens."""
    length, accuracy = printed.result("without attention")
    assert length >= 20, f"the sweep must reach 20 tokens, got {length}"
    assert 0.0 <= accuracy <= 60.0, f"{accuracy}% token accuracy, not in [0, 60]"


def claim_the_positions_read_first_are_mostly_lost(printed):
    """At length 24 the first target positions are mostly right and the second half of the
    target, whose symbols were read 25 to 47 steps before they are written, is about two
    thirds wrong (section 6 and its paragraph on the LSTM's "thousands of steps")."""
    import re

    match = re.search(r"first 4 positions: (\d+)%, second half: (\d+)%", printed.text)
    assert match, "the per-position summary was not printed"
    first, second = int(match[1]), int(match[2])
    assert first >= 70, f"first 4 positions {first}%, expected at least 70%"
    assert 20 <= second <= 45, f"second half {second}%, expected 20-45% (about a third right)"
