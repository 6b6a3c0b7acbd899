"""Registers the conformance plugin for runs from a checkout (`pytest suites/`)."""

pytest_plugins = ["cbconform.plugin"]
