"""Presenting one analysis: the format-neutral view model, the charts and the Jinja set-up the reporters share."""
