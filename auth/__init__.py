"""Authentication: password policy and hashing, login/logout, session checks, role guards."""
