"""Shared mechanism for the four experiment scripts: data, models, engine, plots, outputs."""
