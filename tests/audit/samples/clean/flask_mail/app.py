"""The same app on lettr_flask: one connection, a Lettr template, password from the environment."""

import os

from flask import Flask
from lettr_flask import Mail, Message

app = Flask(__name__)
app.config["MAIL_PASSWORD"] = os.environ.get("MAIL_PASSWORD")
mail = Mail(app)


def welcome_everyone(users):
    with mail.connect() as conn:
        for user in users:
            msg = Message(recipients=[user.email], template_id="welcome")
            conn.send(msg)
