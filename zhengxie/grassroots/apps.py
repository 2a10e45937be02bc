from django.apps import AppConfig


class GrassrootsConfig(AppConfig):
    name = "zhengxie.grassroots"
    label = "grassroots"
    verbose_name = "群众诉求"

    def ready(self) -> None:
        from zhengxie.accounts import audit

        audit.register_app(self.label)
