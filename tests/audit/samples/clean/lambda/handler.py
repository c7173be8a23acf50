"""The same Lambda function on Lettr's HTTP API."""

from lettr_core import Email, LettrConfig, Mailer

MAILER = Mailer(LettrConfig.from_mapping({}))


def lambda_handler(event, context):
    MAILER.send(Email(from_email="app@example.com", to=[event["to"]], text="hello"))
