from django.urls import path

from zhengxie.opinions import views

app_name = "opinions"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_create, name="create"),
    path("import/", views.import_ledger, name="import"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
]
