"""The same Vercel function on Lettr's HTTP API."""

from http.server import BaseHTTPRequestHandler

from lettr_core import Email, LettrConfig, Mailer


class handler(BaseHTTPRequestHandler):
    def do_POST(self):
        with Mailer(LettrConfig.from_mapping({})) as mailer:
            mailer.send(Email(from_email="app@example.com", to=["user@example.com"], text="hi"))
        self.send_response(204)
        self.end_headers()
