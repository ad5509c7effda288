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
