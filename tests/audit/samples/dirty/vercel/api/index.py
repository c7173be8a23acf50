"""A Vercel Python function that sends over SMTP."""

import smtplib
from http.server import BaseHTTPRequestHandler


class handler(BaseHTTPRequestHandler):
    def do_POST(self):
        with smtplib.SMTP("smtp.example.com", 587) as server:
            server.sendmail("app@example.com", ["user@example.com"], "Subject: hi\r\n\r\nhi")
        self.send_response(204)
        self.end_headers()
