from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhengxie.accounts"
    label = "accounts"
    verbose_name = "账号与审计"

    def ready(self) -> None:
        from zhengxie.accounts import audit, deactivation, signals  # noqa: F401

        audit.connect()
