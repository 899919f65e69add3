"""Blueprints of the web application."""
