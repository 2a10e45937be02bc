from django.urls import path

from zhengxie.grassroots import views

app_name = "grassroots"

urlpatterns = [
    # Public: no login.
    path("public/", views.public_start, name="public"),
    path("public/<int:committee_id>/", views.public_raise, name="public_raise"),
    path("public/done/", views.public_done, name="public_done"),
    path("lookup/", views.lookup, name="lookup"),
    # Members and staff.
    path("", views.concern_list, name="list"),
    path("new/", views.reception, name="reception"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
]
