"""Django mail sent one connection per message."""

from django.core import mail
from django.core.mail import EmailMessage, send_mail


def notify_all(users):
    for user in users:
        send_mail("Hello", "Hi there", "app@example.com", [user.email])


def digest(users):
    for user in users:
        EmailMessage("Digest", "...", "app@example.com", [user.email]).send()


def reminders(users):
    while users:
        user = users.pop()
        connection = mail.get_connection()
        connection.send_messages([])
