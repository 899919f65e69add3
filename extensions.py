"""Flask extensions, created once and unbound; `app.create_app` binds them."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
mail = Mail()  # Flask-Mailman: the SMTP connection of the outbox sender (services/mail_sender.py)
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")
