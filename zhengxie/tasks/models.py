from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per run of `record_heartbeat`: proof that a worker of a backend picks up and runs tasks."""

    backend = models.CharField("后端", max_length=100)
    worker = models.CharField("工作进程", max_length=100, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = "工作进程心跳"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"{self.backend}/{self.worker or '-'} @ {self.at:%Y-%m-%d %H:%M:%S}"
