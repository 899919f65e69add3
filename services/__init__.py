"""Application services: the one place each write operation lives (used by views, admin and CLI)."""
