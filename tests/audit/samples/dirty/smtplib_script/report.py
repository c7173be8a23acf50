"""A cron script that speaks smtplib directly."""

import smtplib
from email.mime.text import MIMEText


def send_reports(rows):
    for row in rows:
        body = MIMEText(f"<table><tr><td>{row}</td></tr></table>", "html")
        with smtplib.SMTP_SSL("smtp.example.com", 465) as server:
            server.login("reports@example.com", "hunter2")
            server.send_message(body)
