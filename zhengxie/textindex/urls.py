"""Routes of the text layer: search, similar proposals, routing suggestions, hot topics.

Each part keeps its views in its own module (views_search, views_similar, views_routing) and its paths in
its own list below, so the parts can grow independently.
"""

from django.urls import path

app_name = "textindex"

from zhengxie.textindex import views_search  # noqa: E402

search_urls: list = [path("search/", views_search.search_page, name="search")]
from zhengxie.textindex import views_similar  # noqa: E402

similar_urls: list = [
    path("similar/draft/", views_similar.similar_draft, name="similar_draft"),
    path("similar/<int:proposal_id>/cosign/", views_similar.similar_cosign, name="similar_cosign"),
    path(
        "similar/<int:proposal_id>/duplicates/", views_similar.similar_duplicates, name="similar_duplicates"
    ),
    path("similar/<int:proposal_id>/merge/<int:into_id>/", views_similar.similar_merge, name="similar_merge"),
    path("similar/<int:proposal_id>/dismiss/", views_similar.similar_dismiss, name="similar_dismiss"),
    path("groups/", views_similar.similar_groups, name="similar_groups"),
    path("topics/", views_similar.topics_page, name="topics"),
    path("topics/refresh/", views_similar.topics_refresh, name="topics_refresh"),
]
from zhengxie.textindex import views_routing  # noqa: E402

routing_urls: list = [
    path("routing/<int:proposal_id>/", views_routing.routing_panel, name="routing_panel"),
]

urlpatterns = [*search_urls, *similar_urls, *routing_urls]
