"""Extension instances, created unbound; ``create_app`` binds them. Features import from here."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from traceability.database import Base, RoutedSession

db = SQLAlchemy(model_class=Base, session_options={"class_": RoutedSession})
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
