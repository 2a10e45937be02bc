from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "zhengxie.opinions"
    label = "opinions"
    verbose_name = "社情民意"

    def ready(self) -> None:
        from zhengxie.accounts import audit

        audit.register_app(self.label)
