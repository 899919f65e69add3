"""Authentication and authorisation: passwords, login/logout, session checks, the permission policy."""
