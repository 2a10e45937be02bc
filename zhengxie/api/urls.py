from django.urls import path

from zhengxie.api.api import api

urlpatterns = [path("", api.urls)]
