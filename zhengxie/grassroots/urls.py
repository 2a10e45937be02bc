from django.urls import path

from zhengxie.grassroots import views

app_name = "grassroots"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
