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


def claim_without_a_mask_the_padding_takes_a_share_that_grows_with_the_batch(printed):
    """Exercise 3.5: without the mask the padding gets 0.213 at length 6 and 0.605 at length 20,
    the first word 0.524 and 0.263; with the mask the padding gets 0 and the first word 0.665."""
    for length, padding, first in [(6, "0.213", "0.524"), (20, "0.605", "0.263")]:
        m = printed.search(
            rf"padded to +{length}: without the mask the padding gets (?P<p>[\d.]+) and the first "
            r"word (?P<w>[\d.]+); with the mask (?P<mp>[\d.]+) and (?P<mw>[\d.]+)"
        )
        assert (m["p"], m["w"], m["mp"], m["mw"]) == (padding, first, "0.000", "0.665"), m.groups()
