"""Qdrant adapter."""
