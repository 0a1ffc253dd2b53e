"""``modelmesh demo``: failover shown live, offline."""
