"""Flask-WTF forms, one per use case."""
