"""Milvus adapter."""
