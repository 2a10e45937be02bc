from django.urls import path

from zhengxie.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.inbox, name="inbox"),
]
