from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "zhengxie.reports"
    label = "reports"
    verbose_name = "统计与年度报告"
