"""Routes of the text layer: search, similar proposals, routing suggestions, hot topics.

Each part keeps its views in its own module (views_search, views_similar, views_routing) and its paths in
its own list below, so the parts can grow independently.
"""

from django.urls import path  # noqa: F401  (used by the lists below)

app_name = "textindex"

search_urls: list = []
similar_urls: list = []
routing_urls: list = []

urlpatterns = [*search_urls, *similar_urls, *routing_urls]
