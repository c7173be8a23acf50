"""An AWS Lambda function that sends over SMTP."""

import os
import smtplib


def lambda_handler(event, context):
    server = smtplib.SMTP("smtp.example.com", 587)
    server.starttls()
    server.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])
    server.sendmail("app@example.com", [event["to"]], "Subject: hi\r\n\r\nhello")
    server.quit()
