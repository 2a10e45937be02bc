from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zhengxie.api"
    label = "api"
    verbose_name = "接口"
