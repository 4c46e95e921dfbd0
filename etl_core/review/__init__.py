"""The review report (``etl review``): each example beside the records of its window, drawn.

:mod:`etl_core.review.svg` holds the chart helpers plugins use in ``etl_review_charts``;
:mod:`etl_core.review.generic` core's chart for record types without charts of their own;
:mod:`etl_core.review.report` reads an output folder and writes the static HTML report.
"""
