from django.urls import path

from zhengxie.reports import views, views_dashboard

app_name = "reports"

urlpatterns = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("dashboard.xlsx", views_dashboard.export_xlsx, name="dashboard_export"),
    path("annual/", views.report, name="report"),
    path("annual/edit/", views.edit, name="edit"),
    path("annual/publish/", views.publish, name="publish"),
    path("annual/unpublish/", views.unpublish, name="unpublish"),
    path("annual/report.<str:fmt>", views.download, name="download"),
    path("records/<str:key>/", views.records, name="records"),
]
