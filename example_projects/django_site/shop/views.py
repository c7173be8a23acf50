"""The shop's views."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from . import mail


@require_POST
def signup(request: HttpRequest) -> HttpResponse:
    """Sign up: send a welcome message."""
    mail.send_welcome(request.POST["email"])
    return HttpResponse("welcome mail sent\n", status=201)
