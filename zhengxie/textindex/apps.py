from django.apps import AppConfig


class TextIndexConfig(AppConfig):
    name = "zhengxie.textindex"
    label = "textindex"
    verbose_name = "文本智能"

    def ready(self) -> None:
        from zhengxie.accounts import audit

        audit.register_app(self.label)
        import zhengxie.textindex.search_sync  # noqa: F401  (connects the search index's signals)
        from zhengxie.textindex import sync_dedup  # noqa: F401  (keeps the duplicate index in step with proposals)
