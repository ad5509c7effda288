"""Instructor tools for the course: build the release, check it, grade submissions.

Wraps nbgrader (its converters, preprocessors and gradebook) and adds what it lacks: grading
each submission in its own process with a private gradebook, skipping ``demo`` cells, keeping
stderr warnings from zeroing a correct answer, a resumable batch, and mutation testing of the
test cells. The command line is in :mod:`autograder.cli`.
"""

__version__ = "0.1.0"
