from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "zhengxie.reports"
    label = "reports"
    verbose_name = "统计与年度报告"

    def ready(self) -> None:
        from zhengxie.accounts import audit

        audit.register_app(self.label)
