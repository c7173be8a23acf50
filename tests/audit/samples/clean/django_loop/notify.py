"""Django mail sent through one connection for all messages."""

from django.core.mail import EmailMessage, get_connection, send_mail


def notify_all(users):
    connection = get_connection()
    for user in users:
        send_mail("Hello", "Hi there", "app@example.com", [user.email], connection=connection)


def digest(users):
    messages = [EmailMessage("Digest", "...", "app@example.com", [u.email]) for u in users]
    with get_connection() as connection:
        connection.send_messages(messages)
