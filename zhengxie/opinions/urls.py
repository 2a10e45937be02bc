from django.urls import path

from zhengxie.opinions import views

app_name = "opinions"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
