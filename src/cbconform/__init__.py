"""Conformance suite and reference server for Chargebee's offer-fulfillment, offer and order APIs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chargebee-conformance")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
