"""The same Cloud Function on Lettr's HTTP API."""

import functions_framework

from lettr_core import Email, LettrConfig, Mailer


@functions_framework.http
def send(request):
    with Mailer(LettrConfig.from_mapping({})) as mailer:
        mailer.send(Email(from_email="app@example.com", to=[request.args["to"]], text="hi"))
    return "sent"
