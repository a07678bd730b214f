"""Processor tests: a package, so its helpers do not clash with other test directories."""
