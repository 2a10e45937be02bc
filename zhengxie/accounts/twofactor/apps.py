from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "zhengxie.accounts.twofactor"
    label = "twofactor"
    verbose_name = "双因素认证"
    default_auto_field = "django.db.models.BigAutoField"
