"""Give every request an id, put it on the response and in every log line below it."""

from slawatch.ops.context import incoming_or_new_request_id, request_id_var

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_or_new_request_id(request.headers.get(HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response
