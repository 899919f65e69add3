"""Login form."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("E-Mail", validators=[DataRequired("Bitte E-Mail angeben."), Length(max=254)])
    password = PasswordField("Passwort", validators=[DataRequired("Bitte Passwort angeben."),
                                                     Length(max=256)])


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired("Bitte den Code angeben."), Length(max=32)])
