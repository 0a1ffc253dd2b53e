"""One standard test class per connector type; an author's subclass runs them all."""

from __future__ import annotations

from modelmesh_cdk.testing.suites.guard import StandardSuite

__all__ = ["StandardSuite"]
