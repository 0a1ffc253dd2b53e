"""The six connector types as abstract interfaces with attrs value types."""
