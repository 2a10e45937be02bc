from django.urls import path

from zhengxie.duties import views

app_name = "duties"

urlpatterns = [
    path("", views.my_file, name="mine"),
    path("claim/", views.claim, name="claim"),
    path("records/<int:record_id>/contest/", views.contest, name="contest"),
    path("member/<int:member_id>/", views.member_file, name="member"),
    path("office/", views.office, name="office"),
    path("office/review/", views.review_list, name="review"),
    path("office/review/claims/<int:record_id>/", views.review_claim, name="review_claim"),
    path("office/review/contests/<int:contest_id>/", views.resolve_contest, name="resolve_contest"),
    path("office/add/", views.staff_add, name="add"),
    path("office/rules/", views.rules, name="rules"),
    path("office/recompute/", views.recompute, name="recompute"),
    path("office/evaluation.xlsx", views.export_xlsx, name="export"),
]
