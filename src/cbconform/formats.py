"""The string formats the contracts use beyond JSON Schema's own: email (RFC 5322 via email-validator),
base64-email (a request-origin header) and ip-or-hostname."""

from __future__ import annotations

import base64
import binascii
import ipaddress

import jsonschema
from email_validator import EmailNotValidError, validate_email


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()
    generic_hostname = jsonschema.FormatChecker(["hostname"])

    @checker.checks("email", raises=EmailNotValidError)
    def is_email(value: object) -> bool:
        if not isinstance(value, str):
            return True
        validate_email(value, check_deliverability=False)
        return True

    @checker.checks("base64-email")
    def is_base64_email(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
            validate_email(decoded, check_deliverability=False)
        except (binascii.Error, UnicodeDecodeError, EmailNotValidError, ValueError):
            return False
        return True

    @checker.checks("ip-or-hostname")
    def is_ip_or_hostname(value: object) -> bool:
        if not isinstance(value, str):
            return True
        try:
            ipaddress.ip_address(value)
            return True
        except ValueError:
            return bool(value) and generic_hostname.conforms(value, "hostname")

    return checker


FORMAT_CHECKER = _format_checker()
