"""A Flask app on Flask-Mail: new connection per message, HTML in code, password in code."""

from flask import Flask
from flask_mail import Mail, Message

app = Flask(__name__)
app.config["MAIL_SERVER"] = "smtp.example.com"
app.config["MAIL_PASSWORD"] = "hunter2"
mail = Mail(app)


def welcome_everyone(users):
    for user in users:
        msg = Message("Welcome", recipients=[user.email], html=f"<h1>Hi {user.name}</h1>")
        mail.send(msg)
