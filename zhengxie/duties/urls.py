from django.urls import path

from zhengxie.duties import views

app_name = "duties"

urlpatterns = [
    path("", views.my_file, name="mine"),
]
