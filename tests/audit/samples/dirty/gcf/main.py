"""A Google Cloud Function that sends over SMTP."""

import smtplib

import functions_framework


@functions_framework.http
def send(request):
    with smtplib.SMTP("smtp.example.com", 587) as server:
        server.sendmail("app@example.com", [request.args["to"]], "Subject: hi\r\n\r\nhi")
    return "sent"
