"""Placeholder so the embed pattern matches until the fake Live lands."""
