from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "zhengxie.tasks"
    label = "zx_tasks"
    verbose_name = "后台任务"
