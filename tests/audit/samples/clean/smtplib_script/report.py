"""The same script on lettr_core: one Mailer, a Lettr template, the key from the environment."""

import os

from lettr_core import Email, LettrConfig, Mailer


def send_reports(rows):
    config = LettrConfig.from_mapping({"API_KEY": os.environ["LETTR_API_KEY"]})
    with Mailer(config) as mailer:
        for row in rows:
            mailer.send(Email(from_email="reports@example.com", to=[row], template_slug="report"))
