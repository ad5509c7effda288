"""Helper library for the course "Attention, from RNNs to Transformers".

Notebooks import the submodules they need::

    from course_lib import checks, data, device, plots, training, widgets

The package holds plumbing (devices, seeding, data, plots, student-facing checks) and never the
answer to an exercise: it ships to students.
"""

__version__ = "0.1.0"
