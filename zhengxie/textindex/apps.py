from django.apps import AppConfig


class TextIndexConfig(AppConfig):
    name = "zhengxie.textindex"
    label = "textindex"
    verbose_name = "文本智能"

    def ready(self) -> None:
        from zhengxie.accounts import audit

        audit.register_app(self.label)
