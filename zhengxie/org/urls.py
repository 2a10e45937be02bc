from django.urls import path

from zhengxie.org import views

app_name = "org"
urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/<int:member_id>/", views.member_detail, name="member_detail"),
]
