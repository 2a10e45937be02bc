from django.apps import AppConfig


class DutiesConfig(AppConfig):
    name = "zhengxie.duties"
    label = "duties"
    verbose_name = "履职档案"

    def ready(self) -> None:
        from zhengxie.accounts import audit

        audit.register_app(self.label)
