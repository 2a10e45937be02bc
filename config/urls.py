from django.contrib import admin
from django.urls import include, path

from zhengxie.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("zhengxie.accounts.urls")),
    path("org/", include("zhengxie.org.urls")),
    path("proposals/", include("zhengxie.proposals.urls")),
    path("opinions/", include("zhengxie.opinions.urls")),
    path("consultations/", include("zhengxie.consultations.urls")),
    path("duties/", include("zhengxie.duties.urls")),
    path("concerns/", include("zhengxie.grassroots.urls")),
    path("notices/", include("zhengxie.notices.urls")),
    path("reports/", include("zhengxie.reports.urls")),
    path("text/", include("zhengxie.textindex.urls")),
    path("api/v1/", include("zhengxie.api.urls")),
    path("admin/", admin.site.urls),
]
