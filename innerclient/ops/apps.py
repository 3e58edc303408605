from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "innerclient.ops"
    label = "ops"

    def ready(self):
        from django.core.signals import request_finished

        from innerclient.ops import checks  # noqa: F401  (registers the deploy checks)
        from innerclient.ops.logs import clear_request_context

        # Infrastructure, not domain logic: the log context ends with the response.
        request_finished.connect(clear_request_context, dispatch_uid="ops.clear_request_context")
