from ninja import NinjaAPI

api = NinjaAPI(title="政协履职平台 API", version="1", urls_namespace="api")
