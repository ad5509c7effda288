"""What notebook 07's text claims about its measurements, checked on what it printed.

tests/test_notebooks.py runs each ``claim_*`` function on the executed notebook's output.
"""

RESULT = (
    r"Result: validation loss (?P<val>[\d.]+) nats per character after (?P<steps>\d+) steps "
    r"\(trained in (?P<seconds>[\d.]+) s\)"
)
UNIGRAM = r"Reference: unigram entropy (?P<h>[\d.]+) nats per character"


def claim_the_language_model_learns_more_than_character_frequencies(printed):
    """The trained model's validation loss is at least 0.5 nats per character below the unigram
    entropy (what a model that ignores context reaches)."""
    result, unigram = printed.search(RESULT), printed.search(UNIGRAM)
    assert float(result["val"]) < float(unigram["h"]) - 0.5, (result[0], unigram[0])


AGREE = (
    r"Result: cached and uncached generation agree on (?P<same>\d+) of (?P<total>\d+) tokens; "
    r"largest logit difference (?P<gap>[\d.e+-]+)"
)
KV_ROW = r"^\s*(?P<t>\d+) \|\s+(?P<plain>[\d.]+) \|\s+(?P<cached>[\d.]+) \|\s+[\d.]+$"


def claim_cached_generation_gives_the_same_tokens_and_logits(printed):
    """The trained model's cached and uncached generation (same seed, temperature 0.8, past the
    context window) give the same tokens, and logits equal to float32 rounding (below 1e-4)."""
    match = printed.search(AGREE)
    assert match["same"] == match["total"], match[0]
    assert float(match["gap"]) < 1e-4, match[0]


def _kv_rows(printed):
    import re

    rows = {
        int(m["t"]): (float(m["plain"]), float(m["cached"]))
        for m in re.finditer(KV_ROW, printed.text, re.M)
    }
    assert len(rows) >= 4, f"expected the time-per-token table, got {rows}"
    return rows


def claim_without_the_cache_time_per_token_grows_with_the_context(printed):
    """Section 8: without the cache, a token at the longest context costs several times one at
    the shortest (the text says: about in proportion to T)."""
    rows = _kv_rows(printed)
    short, long = rows[min(rows)], rows[max(rows)]
    assert long[0] > 3 * short[0], rows


def claim_with_the_cache_time_per_token_stays_almost_flat(printed):
    """Section 8: with the cache, the time per token grows far less than without it, and at the
    longest context the cache saves a large factor."""
    rows = _kv_rows(printed)
    short, long = rows[min(rows)], rows[max(rows)]
    assert long[1] < 2.5 * short[1], rows
    assert long[0] > 5 * long[1], rows


LAB_ROW = (
    r"^\s*(?P<t>\d+) \|\s+(?P<naive>[\d.]+)\s+(?P<fused>[\d.]+)\s+(?P<ratio>[\d.]+) \|"
    r"\s+(?P<naive_mib>[\d.]+)\s+(?P<fused_mib>[\d.]+)"
)


def claim_the_fused_kernel_is_faster_and_its_lead_grows_with_t(printed):
    """Section 7: on the CPU the fused module is faster from T = 256 on (about 2 times there),
    and the ratio grows with T, to several times at the longest length."""
    import re

    rows = {int(m["t"]): float(m["ratio"]) for m in re.finditer(LAB_ROW, printed.text, re.M)}
    assert len(rows) >= 4, rows
    assert all(ratio > 1.2 for t, ratio in rows.items() if t >= 256), rows
    assert rows[max(rows)] > 3 and rows[max(rows)] > rows[min(rows)], rows


def claim_the_naive_module_keeps_quadratic_memory_and_the_fused_one_linear(printed):
    """Section 7: doubling T at the long end multiplies the naive module's saved memory by
    about 4 and the fused module's by about 2 (the key of question 5)."""
    import re

    rows = {
        int(m["t"]): (float(m["naive_mib"]), float(m["fused_mib"]))
        for m in re.finditer(LAB_ROW, printed.text, re.M)
    }
    longest = max(rows)
    naive, fused = rows[longest], rows[longest // 2]
    assert 3.0 < naive[0] / fused[0] < 4.5, rows
    assert 1.7 < naive[1] / fused[1] < 2.3, rows
