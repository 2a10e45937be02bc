from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "zhengxie.consultations"
    label = "consultations"
    verbose_name = "协商议政"

    def ready(self) -> None:
        from zhengxie.accounts import audit

        audit.register_app(self.label)
