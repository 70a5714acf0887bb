"""Core services: the domain operations adapters call."""
