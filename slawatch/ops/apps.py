from celery.signals import task_postrun, task_prerun
from django.apps import AppConfig

from slawatch import telemetry
from slawatch.ops import context


class OpsConfig(AppConfig):
    name = "slawatch.ops"
    verbose_name = "Operations"

    def ready(self):
        from slawatch.ops import services  # imports models: only once the registry is ready

        # weak=False: the receivers are module functions, kept alive anyway; this
        # makes the intent explicit. dispatch_uid keeps a double ready() harmless.
        task_prerun.connect(context.on_task_prerun, weak=False, dispatch_uid="slawatch-task-id")
        task_postrun.connect(context.on_task_postrun, weak=False,
                             dispatch_uid="slawatch-task-id-reset")
        # What the sweep and the inbox report (slawatch.telemetry) is kept here.
        telemetry.job_ran.connect(services.on_job_ran, dispatch_uid="slawatch-job-ran")
        telemetry.counted.connect(services.on_counted, dispatch_uid="slawatch-counted")
