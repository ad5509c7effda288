"""What notebook 05's text claims about its measurements, checked on what it printed.

tests/test_notebooks.py runs each ``claim_*`` function on the executed notebook's output.
"""


def claim_attention_memory_grows_13_fold_from_256_to_1024(printed):
    """Exercise 5.5, measured: "From n = 256 to n = 1024 the memory of attention for d = 64
    grew 13.1-fold (5.3 MB to 69.0 MB; bytes are counted, so every machine prints the same)"."""
    m = printed.search(r"from n = 256 to n = 1024 the attention memory grew x(?P<factor>[\d.]+)")
    assert m["factor"] == "13.1", m["factor"]
