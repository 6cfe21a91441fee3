from celery.signals import task_postrun, task_prerun
from django.apps import AppConfig

from slawatch.ops import context


class OpsConfig(AppConfig):
    name = "slawatch.ops"
    verbose_name = "Operations"

    def ready(self):
        # weak=False: the receivers are module functions, kept alive anyway; this
        # makes the intent explicit. dispatch_uid keeps a double ready() harmless.
        task_prerun.connect(context.on_task_prerun, weak=False, dispatch_uid="slawatch-task-id")
        task_postrun.connect(context.on_task_postrun, weak=False,
                             dispatch_uid="slawatch-task-id-reset")
