"""One base class per connector type, plus specialised classes."""
