from django.urls import path

from zhengxie.org import roster_views, views

app_name = "org"
urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/<int:member_id>/", views.member_detail, name="member_detail"),
    path("roster/import/", roster_views.roster_import, name="roster_import"),
    path("roster/template/", roster_views.roster_template, name="roster_template"),
]
